/**
 * The committed stacks, through the README's own commands (`npm run
 * preview|up|destroy -- <stack>`), on local clusters. Each test works on a
 * copy of a committed stack file under a name of its own, pointed at the
 * test's clusters, and removes the copy and its state afterwards, so the
 * committed stacks and anyone's real dev stack are untouched.
 */
import { strict as assert } from "assert";
import { SpawnSyncReturns, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { Cluster, freePorts } from "../../testcluster/controlPlane";
import { kubectl, kubectlOk } from "../../testcluster/kubectl";
import { pulumiEnv, startCluster, stopCluster } from "../../testcluster/scratch";
import { binary } from "../../testcluster/toolchain";
import { HAND_EDITED_AUTH, createNamespace, editSecretByHand, imagePullSecretNames, secretConfig } from "./cluster";
import { sharedCluster } from "./hooks";

const ROOT = path.join(__dirname, "..", "..");
const stackPath = (stack: string) => path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`);

/** The environment a user has after `eval "$(npm run -s cluster -- env)"`, with a home of its own. */
function userEnv(kubeconfigs: Cluster[], home: string, passphrase: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...pulumiEnv(kubeconfigs[0]),
        HOME: home,
        PULUMI_CONFIG_PASSPHRASE: passphrase,
    };
    env.KUBECONFIG = kubeconfigs.map((cluster) => cluster.kubeconfig).join(":");
    // The deploy scripts use Pulumi.yaml's backend (./.pulumi) and the home's PULUMI_HOME, as a user's do.
    delete env.PULUMI_BACKEND_URL;
    delete env.PULUMI_HOME;
    return env;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string): SpawnSyncReturns<string> {
    return spawnSync(command, args, { cwd: ROOT, env, encoding: "utf8", input, timeout: 10 * 60 * 1000 });
}

function npmRun(env: NodeJS.ProcessEnv, ...args: string[]): string {
    const result = run("npm", ["run", "-s", ...args], env);
    assert.equal(
        result.status,
        0,
        `npm run ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`,
    );
    return result.stdout;
}

/** Copies a committed stack file to a test stack, with `clusters` set to the given contexts. */
function copyStack(from: string, to: string, contexts: string[] | undefined): void {
    const document = YAML.parseDocument(fs.readFileSync(stackPath(from), "utf8"));
    if (contexts !== undefined) {
        document.setIn(["config", "registry-credentials:clusters"], contexts);
    }
    fs.writeFileSync(stackPath(to), document.toString());
}

/** Removes a test stack's state and file, whatever state it is in. */
function removeStack(stack: string, env: NodeJS.ProcessEnv): void {
    run(binary("pulumi"), ["stack", "rm", stack, "--yes", "--force"], env);
    fs.rmSync(stackPath(stack), { force: true });
}

describe("the committed stacks through npm run preview|up|destroy, on local clusters", function () {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "regcred-home-"));
    after(() => fs.rmSync(home, { recursive: true, force: true }));

    it("dev: previews, rolls out the user's docker login to the current context, and destroys it", async function () {
        const cluster = sharedCluster();
        const stack = `e2e-dev-${process.pid}`;
        await createNamespace(cluster, "sandbox");
        kubectlOk(cluster, "create", "serviceaccount", "ci-runner", "-n", "sandbox");
        const dockerConfig = JSON.stringify({
            auths: { "registry.example.com": { auth: Buffer.from("dev-user:dev-token").toString("base64") } },
        });
        fs.mkdirSync(path.join(home, ".docker"), { recursive: true });
        fs.writeFileSync(path.join(home, ".docker", "config.json"), dockerConfig);
        const env = userEnv([cluster], home, "e2e-dev");
        copyStack("dev", stack, undefined);
        try {
            const preview = npmRun(env, "preview", "--", stack);
            // The stack, its provider and component, two Secrets and the entries for three service accounts.
            assert.match(preview, /\+ 6 to create/);

            npmRun(env, "up", "--", stack, "--yes");
            for (const namespace of ["default", "sandbox"]) {
                assert.equal(secretConfig(cluster, namespace, "regcred"), dockerConfig);
            }
            assert.deepEqual(imagePullSecretNames(cluster, "default"), ["regcred"]);
            assert.deepEqual(imagePullSecretNames(cluster, "sandbox"), ["regcred"]);
            assert.deepEqual(imagePullSecretNames(cluster, "sandbox", "ci-runner"), ["regcred"]);

            npmRun(env, "destroy", "--", stack, "--yes");
            assert.equal(secretConfig(cluster, "sandbox", "regcred"), undefined);
            assert.deepEqual(imagePullSecretNames(cluster, "sandbox", "ci-runner") ?? [], []);
        } finally {
            removeStack(stack, env);
        }
    });

    it("render's file, written the README's way, is YAML that kubectl apply --dry-run=client takes", async function () {
        const cluster = sharedCluster();
        const dockerConfig = JSON.stringify({
            auths: { "registry.example.com": { auth: Buffer.from("dev-user:dev-token").toString("base64") } },
        });
        fs.mkdirSync(path.join(home, ".docker"), { recursive: true });
        fs.writeFileSync(path.join(home, ".docker", "config.json"), dockerConfig);
        const env = userEnv([cluster], home, "unused");
        const file = path.join(home, "dev.yaml");
        const rendered = run("bash", ["-c", `npm run -s render -- dev > ${file}`], env);
        assert.equal(rendered.status, 0, rendered.stderr);
        const applied = run(binary("kubectl"), ["apply", "--dry-run=client", "-f", file], env);
        assert.equal(applied.status, 0, applied.stderr);
        assert.equal(applied.stdout.match(/secret\/regcred created \(dry run\)/g)?.length, 2, applied.stdout);
    });

    it("local: the committed demo stack rolls out with no credentials of the user's own", async function () {
        const cluster = sharedCluster();
        const stack = `e2e-local-${process.pid}`;
        const local = YAML.parse(fs.readFileSync(stackPath("local"), "utf8")).config;
        for (const namespace of local["registry-credentials:namespaces"].map((entry: string | { name: string }) =>
            typeof entry === "string" ? entry : entry.name,
        )) {
            if (namespace !== "default") {
                await createNamespace(cluster, namespace);
            }
        }
        // The passphrase the README gives for the local stack.
        const env = userEnv([cluster], home, "local");
        copyStack("local", stack, [cluster.adminContext]);
        try {
            npmRun(env, "up", "--", stack, "--yes");
            const config = JSON.parse(secretConfig(cluster, "demo", "regcred") ?? "{}");
            assert.deepEqual(Object.keys(config.auths), ["registry.local.test"]);
            assert.equal(config.auths["registry.local.test"].username, "demo");
            assert.deepEqual(imagePullSecretNames(cluster, "demo"), ["regcred"]);

            // The audit, with the stack's passphrase and nothing more: all in place, exit 0.
            const clean = run("npm", ["run", "-s", "audit", "--", stack, "--json"], env);
            assert.equal(clean.status, 0, `${clean.stdout}\n${clean.stderr}`);
            const [audited] = JSON.parse(clean.stdout).clusters;
            assert.deepEqual(audited.report.findings, []);
            assert.ok(audited.report.namespaces.includes("demo"));
            // A Secret edited by hand: the table names it stale, without its content, and the status is 1.
            editSecretByHand(cluster, "demo", "regcred", "registry.local.test");
            const stale = run("npm", ["run", "-s", "audit", "--", stack], env);
            assert.equal(stale.status, 1, `${stale.stdout}\n${stale.stderr}`);
            assert.match(
                stale.stdout,
                /demo +Secret\/regcred +- +- +secret-stale: its content differs from what the stack declares/,
            );
            assert.ok(!`${stale.stdout}${stale.stderr}`.includes(HAND_EDITED_AUTH));
            npmRun(env, "destroy", "--", stack, "--yes");
        } finally {
            removeStack(stack, env);
        }
    });

    it("prod: one `up` rolls the same Secret out to two clusters, and one `destroy` takes it back", async function () {
        const clusters = [sharedCluster(), await startCluster("second")];
        const stack = `e2e-prod-${process.pid}`;
        const env = userEnv(clusters, home, "e2e-prod");
        try {
            for (const cluster of clusters) {
                for (const namespace of ["payments", "search", "checkout", "legacy-billing"]) {
                    await createNamespace(cluster, namespace);
                }
                kubectlOk(cluster, "create", "serviceaccount", "checkout-api", "-n", "checkout");
            }
            copyStack(
                "prod",
                stack,
                clusters.map((cluster) => cluster.adminContext),
            );
            // The README's commands for setting the password.
            const select = run(
                binary("pulumi"),
                ["stack", "select", "--create", "--secrets-provider", "passphrase", stack],
                env,
            );
            assert.equal(select.status, 0, select.stderr);
            const set = run(
                binary("pulumi"),
                ["config", "set", "--secret", "--path", "registries[0].password", "--stack", stack],
                env,
                "prod-token",
            );
            assert.equal(set.status, 0, set.stderr);

            npmRun(env, "up", "--", stack, "--yes");
            for (const cluster of clusters) {
                const config = JSON.parse(secretConfig(cluster, "payments", "regcred") ?? "{}");
                assert.equal(config.auths["ghcr.io"].password, "prod-token");
                assert.deepEqual(imagePullSecretNames(cluster, "checkout", "checkout-api"), ["regcred"]);
                assert.deepEqual(imagePullSecretNames(cluster, "legacy-billing"), ["regcred"]);
            }
            npmRun(env, "destroy", "--", stack, "--yes");
            for (const cluster of clusters) {
                assert.equal(secretConfig(cluster, "payments", "regcred"), undefined);
            }
        } finally {
            removeStack(stack, env);
            stopCluster(clusters[1]);
        }
    });

    it("prod with one cluster down: preview names it, up rolls out the other in full and fails naming it, and the next up converges on both", async function () {
        const clusters = [sharedCluster(), await startCluster("third")];
        const [up, down] = clusters;
        const stack = `e2e-prod-down-${process.pid}`;
        // The second cluster's kubeconfig, pointed at a loopback port nothing listens on: a cluster that is down.
        const [port] = await freePorts(1);
        const kubeconfig = fs.readFileSync(down.kubeconfig, "utf8");
        const namespaces = ["payments", "search", "checkout", "legacy-billing"];
        const env = userEnv(clusters, home, "e2e-prod-down");
        try {
            // The shared cluster may have them from the test before.
            for (const cluster of clusters) {
                for (const namespace of namespaces.filter(
                    (name) => kubectl(cluster, ["get", "namespace", name]).status !== 0,
                )) {
                    await createNamespace(cluster, namespace);
                }
                kubectl(cluster, ["create", "serviceaccount", "checkout-api", "-n", "checkout"]);
            }
            copyStack(
                "prod",
                stack,
                clusters.map((cluster) => cluster.adminContext),
            );
            assert.equal(
                run(binary("pulumi"), ["stack", "select", "--create", "--secrets-provider", "passphrase", stack], env)
                    .status,
                0,
            );
            assert.equal(
                run(
                    binary("pulumi"),
                    ["config", "set", "--secret", "--path", "registries[0].password", "--stack", stack],
                    env,
                    "prod-token",
                ).status,
                0,
            );
            fs.writeFileSync(down.kubeconfig, kubeconfig.split(down.server).join(`https://127.0.0.1:${port}`));

            const preview = run("npm", ["run", "-s", "preview", "--", stack], env);
            assert.match(
                preview.stdout + preview.stderr,
                new RegExp(
                    `On context "${down.adminContext}" \\(https://127\\.0\\.0\\.1:${port}\\): 4 namespaces of 4 cannot be rolled out[^\\n]*\\n\\s+- all 4 namespaces: the cluster cannot be reached: cannot reach the Kubernetes API at https://127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`,
                ),
            );

            const failed = run("npm", ["run", "-s", "up", "--", stack, "--yes"], env);
            assert.notEqual(failed.status, 0, failed.stdout);
            for (const namespace of namespaces) {
                assert.ok(
                    secretConfig(up, namespace, "regcred")?.includes("prod-token"),
                    `${namespace} has no Secret on the cluster that is up`,
                );
            }
            assert.deepEqual(imagePullSecretNames(up, "checkout", "checkout-api"), ["regcred"]);
            assert.deepEqual(imagePullSecretNames(up, "legacy-billing"), ["regcred"]);
            // The closing summary names the cluster that is down, once, and nothing of the one that is up.
            const summary = failed.stderr.slice(failed.stderr.lastIndexOf("Not rolled out, by cluster"));
            assert.match(summary, /Every other cluster \(1\) is rolled out\./);
            assert.equal(summary.match(new RegExp(`^ {2}${down.adminContext}:$`, "gm"))?.length, 1, summary);
            assert.ok(!summary.includes(`${up.adminContext}:`), summary);
            assert.match(summary, /payments: the cluster cannot be reached/);

            // The cluster is back: the next up converges on both, the first one left as it is.
            fs.writeFileSync(down.kubeconfig, kubeconfig);
            npmRun(env, "up", "--", stack, "--yes");
            for (const cluster of clusters) {
                assert.ok(secretConfig(cluster, "payments", "regcred")?.includes("prod-token"));
                assert.deepEqual(imagePullSecretNames(cluster, "checkout", "checkout-api"), ["regcred"]);
            }
            npmRun(env, "destroy", "--", stack, "--yes");
        } finally {
            fs.writeFileSync(down.kubeconfig, kubeconfig);
            removeStack(stack, env);
            stopCluster(down);
        }
    });
});
