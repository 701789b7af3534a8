/**
 * The e2e suite's view of its clusters: it starts them (named for this run,
 * so nothing else on the machine is touched), talks to them only through the
 * kubeconfigs they wrote, and reads back what the API server holds.
 */
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as testcluster from "../../testcluster/controlPlane";
import { binary, ensureTools } from "../../testcluster/toolchain";

export type Cluster = testcluster.ClusterState;

/** Starts a cluster named for this test run; `down` it when done. */
export async function startCluster(suffix: string): Promise<Cluster> {
    ensureTools((line) => process.stderr.write(`      ${line}\n`));
    return testcluster.up(`e2e-${process.pid}-${suffix}`, (line) => process.stderr.write(`      ${line}\n`));
}

export function stopCluster(cluster: Cluster | undefined): void {
    if (cluster !== undefined) {
        testcluster.down(cluster.name);
    }
}

export interface KubectlResult {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** kubectl's arguments to reach one cluster, as the admin unless `as` names the deployer context. */
function clusterArgs(cluster: Cluster, as?: "deployer"): string[] {
    return [`--kubeconfig=${cluster.kubeconfig}`, `--context=${as === "deployer" ? cluster.deployerContext : cluster.adminContext}`];
}

/** The pinned kubectl against one cluster, as the admin unless `as` names the deployer context. */
export function kubectl(cluster: Cluster, args: readonly string[], options: { as?: "deployer"; input?: string } = {}): KubectlResult {
    const result = spawnSync(binary("kubectl"), [...clusterArgs(cluster, options.as), "--request-timeout=30s", ...args], {
        encoding: "utf8",
        input: options.input,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** kubectl as the admin, without blocking the event loop (which serves an inline program meanwhile); rejects on failure. */
export function kubectlAsync(cluster: Cluster, args: readonly string[]): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(binary("kubectl"), [...clusterArgs(cluster), ...args], { stdio: "ignore" });
        child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`kubectl ${args.join(" ")} exited with ${code}`))));
    });
}

/** kubectl that must succeed; returns stdout. */
export function kubectlOk(cluster: Cluster, ...args: string[]): string {
    const result = kubectl(cluster, args);
    assert.equal(result.status, 0, `kubectl ${args.join(" ")} failed: ${result.stderr}`);
    return result.stdout;
}

/** An object as the API server returns it, or undefined when it does not exist. */
export function getObject(cluster: Cluster, kind: string, namespace: string, name: string): any {
    const result = kubectl(cluster, ["get", kind, name, "-n", namespace, "-o", "json", "--show-managed-fields"]);
    if (result.status !== 0 && /NotFound|not found/.test(result.stderr)) {
        return undefined;
    }
    assert.equal(result.status, 0, `kubectl get ${kind} ${namespace}/${name}: ${result.stderr}`);
    return JSON.parse(result.stdout);
}

/** Creates a namespace and waits for the controller to give it its `default` service account. */
export async function createNamespace(cluster: Cluster, namespace: string): Promise<void> {
    kubectlOk(cluster, "create", "namespace", namespace);
    const deadline = Date.now() + 30_000;
    while (getObject(cluster, "serviceaccount", namespace, "default") === undefined) {
        assert.ok(Date.now() < deadline, `the default service account of ${namespace} did not appear within 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
}

export function deleteNamespace(cluster: Cluster, namespace: string): void {
    kubectl(cluster, ["delete", "namespace", namespace, "--wait=false", "--ignore-not-found"]);
}

/** The names in a service account's `imagePullSecrets`, in order; undefined when it has no list. */
export function serviceAccountEntries(cluster: Cluster, namespace: string, serviceAccount = "default"): string[] | undefined {
    const account = getObject(cluster, "serviceaccount", namespace, serviceAccount);
    assert.ok(account !== undefined, `service account ${namespace}/${serviceAccount} does not exist`);
    return account.imagePullSecrets?.map((entry: { name: string }) => entry.name);
}

/** The field managers that own a service account's `imagePullSecrets`. */
export function managersOf(cluster: Cluster, namespace: string, serviceAccount = "default"): string[] {
    const account = getObject(cluster, "serviceaccount", namespace, serviceAccount);
    return (account.metadata.managedFields ?? [])
        .filter((entry: any) => entry.fieldsV1?.["f:imagePullSecrets"] !== undefined)
        .map((entry: any) => entry.manager)
        .sort();
}

/** The `.dockerconfigjson` that `kubectl create secret docker-registry` writes for a login. */
export function kubectlDockerConfig(cluster: Cluster, login: { server: string; username: string; password: string }): string {
    const secret = JSON.parse(
        kubectlOk(cluster, "create", "secret", "docker-registry", "x", `--docker-server=${login.server}`, `--docker-username=${login.username}`, `--docker-password=${login.password}`, "--dry-run=client", "-o", "json"),
    );
    return Buffer.from(secret.data[".dockerconfigjson"], "base64").toString("utf8");
}

/** The `.dockerconfigjson` a Secret holds, decoded; undefined when the Secret does not exist. */
export function secretConfig(cluster: Cluster, namespace: string, name: string): string | undefined {
    const secret = getObject(cluster, "secret", namespace, name);
    return secret === undefined ? undefined : Buffer.from(secret.data[".dockerconfigjson"], "base64").toString("utf8");
}

/** `kubectl apply --server-side` of one object, as the named field manager, taking conflicting fields with `force`. */
export function serverSideApply(cluster: Cluster, object: object, fieldManager: string, { force = false } = {}): void {
    const flags = ["apply", "--server-side", `--field-manager=${fieldManager}`, ...(force ? ["--force-conflicts"] : []), "-f", "-"];
    const result = kubectl(cluster, flags, { input: JSON.stringify(object) });
    assert.equal(result.status, 0, `kubectl apply --server-side as ${fieldManager} failed: ${result.stderr}`);
}

/** A `default` service account whose `imagePullSecrets` is exactly `names`, applied as `fieldManager`. */
export function serviceAccountWithEntries(namespace: string, names: readonly string[]): object {
    return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace }, imagePullSecrets: names.map((name) => ({ name })) };
}

/** Whether a service account exists. */
export function serviceAccountExists(cluster: Cluster, namespace: string, serviceAccount: string): boolean {
    return getObject(cluster, "serviceaccount", namespace, serviceAccount) !== undefined;
}

/**
 * Records every version of a service account's `imagePullSecrets` the API
 * server reports while it runs (kubectl's watch), for claims about what
 * happened in between, such as "never without an entry".
 *
 * Resolves once the watch has reported `current`, the list as it is now:
 * kubectl's first line can come from the API server's watch cache before
 * it has caught up with the last write, and a watch that has not started
 * yet sees nothing. So the caller changes the list only after this; `stop`
 * waits until the watch has reported the list as it is then, and returns
 * the versions from the first line on.
 */
export async function watchEntries(cluster: Cluster, current: readonly string[], namespace: string, serviceAccount = "default"): Promise<{ stop: () => Promise<string[][]> }> {
    const watcher = spawn(
        binary("kubectl"),
        [...clusterArgs(cluster), "get", "serviceaccount", serviceAccount, "-n", namespace, "--watch", "-o", 'jsonpath={.imagePullSecrets[*].name}{"\\n"}'],
        { stdio: ["ignore", "pipe", "inherit"] },
    );
    let output = "";
    watcher.stdout.on("data", (chunk) => (output += chunk));
    const lines = () => output.split("\n").slice(0, -1).map((line) => line.split(" ").filter((name) => name !== ""));
    const isCurrent = (names: string[]) => JSON.stringify(names) === JSON.stringify(current);
    const deadline = Date.now() + 30_000;
    while (!lines().some(isCurrent)) {
        assert.ok(Date.now() < deadline, `the watch of ${namespace}/${serviceAccount} never reported ${JSON.stringify(current)}: ${JSON.stringify(lines())}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return {
        stop: async () => {
            // Until the watch has caught up with the list as it is now (read directly), not a guessed pause.
            const now = JSON.stringify(serviceAccountEntries(cluster, namespace, serviceAccount) ?? []);
            const until = Date.now() + 30_000;
            while (JSON.stringify(lines().at(-1)) !== now && Date.now() < until) {
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
            watcher.kill();
            const seen = lines();
            return seen.slice(seen.findIndex(isCurrent));
        },
    };
}
