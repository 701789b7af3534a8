/**
 * `npm run cluster` as a user runs it: a named cluster starts, answers
 * through the environment `env` prints, and `down` leaves nothing behind;
 * a start that fails stops what it started.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { clusterDir, readState } from "../../testcluster/controlPlane";
import { nodeName, processesNaming } from "../../testcluster/node";
import { TOOLS, binDir, cacheDir, pullProofHelper, sleeperBinary } from "../../testcluster/toolchain";

const ROOT = path.join(__dirname, "..", "..");

function cluster(args: string[], env: NodeJS.ProcessEnv = process.env) {
    return spawnSync("npm", ["run", "-s", "cluster", "--", ...args], {
        cwd: ROOT,
        env,
        encoding: "utf8",
        timeout: 120_000,
    });
}

/** Mount points at or under a folder. */
function mountsUnder(folder: string): string[] {
    return fs
        .readFileSync("/proc/self/mountinfo", "utf8")
        .split("\n")
        .map((line) => line.split(" ")[4])
        .filter((mountPoint) => mountPoint !== undefined && mountPoint.startsWith(folder));
}

describe("npm run cluster", function () {
    it("up starts a named cluster that answers through env's exports; down stops every process and removes its folder", function () {
        const name = `e2e-${process.pid}-cli`;
        try {
            const up = cluster(["up", name]);
            assert.equal(up.status, 0, up.stderr);
            assert.match(up.stderr, new RegExp(`cluster ${name} is ready at https://127\\.0\\.0\\.1:\\d+`));

            const shell = spawnSync(
                "bash",
                [
                    "-c",
                    `eval "$(npm run -s cluster -- env ${name})" && kubectl get serviceaccount default -o name && kubectl config get-contexts -o name && command -v pulumi pulumi-resource-kubernetes`,
                ],
                {
                    cwd: ROOT,
                    encoding: "utf8",
                },
            );
            assert.equal(shell.status, 0, shell.stderr);
            const [account, admin, deployer, pulumi, provider] = shell.stdout.trim().split("\n");
            assert.equal(account, "serviceaccount/default");
            assert.deepEqual([admin, deployer], [name, `${name}-deployer`]);
            assert.equal(pulumi, path.join(binDir(TOOLS.find((tool) => tool.name === "pulumi")!), "pulumi"));
            assert.equal(path.basename(provider), "pulumi-resource-kubernetes");
            const folder = clusterDir(name);
            assert.ok(processesNaming(folder).length >= 3, "etcd, the API server and the controller manager run");

            const down = cluster(["down", name]);
            assert.equal(down.status, 0, down.stderr);
            assert.equal(fs.existsSync(folder), false);
            assert.deepEqual(processesNaming(folder), []);
            assert.notEqual(cluster(["env", name]).status, 0);
        } finally {
            cluster(["down", name]);
        }
    });

    it("up --node starts clusters side by side, each with a Ready node of its own; down leaves no process, mount, cgroup or file", function () {
        const names = [`e2e-${process.pid}-node-a`, `e2e-${process.pid}-node-b`];
        // The node's Go helpers, built here if no test before built them, so that each up takes seconds.
        this.timeout(15 * 60 * 1000);
        pullProofHelper();
        sleeperBinary();
        try {
            for (const name of names) {
                const up = cluster(["up", "--node", name]);
                assert.equal(up.status, 0, up.stderr);
                assert.match(
                    up.stderr,
                    new RegExp(`node ${nodeName(name)} is Ready; registries: 127\\.0\\.0\\.1:\\d+ \\(anonymous\\)`),
                );
            }
            const [a, b] = names.map((name) => readState(name)!);
            const shared = [a.node!.publicRegistry.address, a.node!.privateRegistry.address].filter((address) =>
                [b.node!.publicRegistry.address, b.node!.privateRegistry.address].includes(address),
            );
            assert.deepEqual(shared, [], "the clusters share a registry port");
            for (const state of [a, b]) {
                const nodes = spawnSync("kubectl", ["--kubeconfig", state.kubeconfig, "get", "nodes", "-o", "name"], {
                    encoding: "utf8",
                });
                assert.equal(nodes.stdout.trim(), `node/${nodeName(state.name)}`, nodes.stderr);
            }
            const cgroup = (name: string) => path.join("/sys/fs/cgroup/memory", nodeName(name));
            assert.ok(fs.existsSync(cgroup(names[0])) && fs.existsSync(cgroup(names[1])));

            for (const name of names) {
                const folder = clusterDir(name);
                const down = cluster(["down", name]);
                assert.equal(down.status, 0, down.stderr);
                assert.equal(fs.existsSync(folder), false);
                assert.deepEqual(processesNaming(folder), []);
                assert.deepEqual(mountsUnder(folder), []);
                assert.equal(fs.existsSync(cgroup(name)), false, `the cgroup of ${name} is left`);
            }
        } finally {
            names.forEach((name) => cluster(["down", name]));
        }
    });

    it("up --node as a user who is not root says so in one line, before it builds or starts anything", function () {
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "regcred-cache-"));
        fs.chmodSync(cache, 0o777);
        const result = spawnSync(
            "runuser",
            [
                "-u",
                "nobody",
                "--",
                "node",
                "-r",
                "ts-node/register/transpile-only",
                "testcluster/cli.ts",
                "up",
                "--node",
            ],
            { cwd: ROOT, env: { ...process.env, XDG_CACHE_HOME: cache }, encoding: "utf8", timeout: 60_000 },
        );
        assert.equal(result.status, 1, result.stderr);
        assert.equal(
            result.stderr,
            "error: cannot start a node on this machine: a node needs root (the kubelet, containerd and runc mount, and make cgroups); run as root\n",
        );
        assert.deepEqual(fs.readdirSync(cache), [], "it wrote to the cache");
        fs.rmSync(cache, { recursive: true, force: true });
    });

    it("a start that fails says which process died and why, stops what it started, and leaves no folder", function () {
        // A cache whose tools are the real ones, except an API server that dies at once.
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "regcred-cache-"));
        const env = { ...process.env, XDG_CACHE_HOME: cache };
        for (const tool of TOOLS) {
            const bin = path.join(cache, "pulumi-registry-credentials", path.relative(cacheDir(), binDir(tool)));
            fs.mkdirSync(bin, { recursive: true });
            for (const name of Object.values(tool.binaries)) {
                if (name === "kube-apiserver") {
                    fs.writeFileSync(
                        path.join(bin, name),
                        "#!/bin/sh\necho 'this API server is broken on purpose' >&2\nexit 3\n",
                        { mode: 0o755 },
                    );
                } else {
                    fs.symlinkSync(path.join(binDir(tool), name), path.join(bin, name));
                }
            }
        }
        const result = cluster(["up", "broken"], env);
        assert.equal(result.status, 1);
        assert.match(
            result.stderr,
            /kube-apiserver exited \(code 3\) while waiting for the API server of broken to be ready/,
        );
        assert.match(result.stderr, /this API server is broken on purpose/);
        const folder = path.join(cache, "pulumi-registry-credentials", "clusters", "broken");
        assert.equal(fs.existsSync(folder), false);
        assert.deepEqual(processesNaming(folder), [], "etcd was stopped");
        fs.rmSync(cache, { recursive: true, force: true });
    });
});
