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
import { clusterDir } from "../../testcluster/controlPlane";
import { TOOLS, binDir, cacheDir } from "../../testcluster/toolchain";

const ROOT = path.join(__dirname, "..", "..");

function cluster(args: string[], env: NodeJS.ProcessEnv = process.env) {
    return spawnSync("npm", ["run", "-s", "cluster", "--", ...args], {
        cwd: ROOT,
        env,
        encoding: "utf8",
        timeout: 120_000,
    });
}

/** The pids of running processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
    return fs
        .readdirSync("/proc")
        .filter((entry) => /^\d+$/.test(entry))
        .filter((pid) => {
            try {
                return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text);
            } catch {
                return false;
            }
        })
        .map(Number);
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
            assert.ok(processesMentioning(folder).length >= 3, "etcd, the API server and the controller manager run");

            const down = cluster(["down", name]);
            assert.equal(down.status, 0, down.stderr);
            assert.equal(fs.existsSync(folder), false);
            assert.deepEqual(processesMentioning(folder), []);
            assert.notEqual(cluster(["env", name]).status, 0);
        } finally {
            cluster(["down", name]);
        }
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
        assert.deepEqual(processesMentioning(folder), [], "etcd was stopped");
        fs.rmSync(cache, { recursive: true, force: true });
    });
});
