/**
 * The e2e suite's view of a cluster: what the API server holds (objects,
 * service accounts' `imagePullSecrets` and their managers, Secrets' configs,
 * a watch of one list), and the namespaces and service accounts a test
 * arranges. Starting clusters and running kubectl are testcluster/'s.
 */
import { strict as assert } from "assert";
import { Cluster } from "../../testcluster/controlPlane";
import { kubectl, kubectlOk, spawnKubectl } from "../../testcluster/kubectl";
import { waitFor } from "../../testcluster/waitFor";

/** An object as the API server returns it, or undefined when it does not exist. */
export function getObject(cluster: Cluster, kind: string, namespace: string, name: string): any {
    const result = kubectl(cluster, ["get", kind, name, "-n", namespace, "-o", "json", "--show-managed-fields"]);
    if (result.status !== 0 && /NotFound|not found/.test(result.stderr)) {
        return undefined;
    }
    assert.equal(result.status, 0, `kubectl get ${kind} ${namespace}/${name}: ${result.stderr}`);
    return JSON.parse(result.stdout);
}

/** Creates an object from its manifest, as `kubectl create -f -` does; a refusal fails the test with kubectl's error. */
export function createObject(
    cluster: Cluster,
    object: {
        apiVersion: string;
        kind: string;
        metadata: { name: string; namespace?: string };
        [field: string]: unknown;
    },
): void {
    const result = kubectl(cluster, ["create", "-f", "-"], { input: JSON.stringify(object) });
    const { kind, metadata } = object;
    assert.equal(result.status, 0, `creating ${kind} ${metadata.namespace}/${metadata.name}: ${result.stderr}`);
}

/** Creates a namespace and waits for the controller to give it its `default` service account. */
export async function createNamespace(cluster: Cluster, namespace: string): Promise<void> {
    kubectlOk(cluster, "create", "namespace", namespace);
    await waitFor(() => serviceAccountExists(cluster, namespace, "default"), {
        awaited: `the default service account of ${namespace}`,
        timeoutMs: 30_000,
        intervalMs: 200,
    });
}

export function deleteNamespace(cluster: Cluster, namespace: string): void {
    kubectl(cluster, ["delete", "namespace", namespace, "--wait=false", "--ignore-not-found"]);
}

/** Sets a namespace's labels (`key=value`, or `key-` to remove one), as a user relabelling it would. */
export function labelNamespace(cluster: Cluster, namespace: string, ...labels: string[]): void {
    kubectlOk(cluster, "label", "namespace", namespace, "--overwrite", ...labels);
}

/** A namespace that stays `Terminating`: a finalizer of nobody's holds it, as a namespace looks while its owner tears it down. */
export async function terminatingNamespace(cluster: Cluster, namespace: string, ...labels: string[]): Promise<void> {
    await createNamespace(cluster, namespace);
    if (labels.length > 0) {
        labelNamespace(cluster, namespace, ...labels);
    }
    kubectlOk(
        cluster,
        "patch",
        "namespace",
        namespace,
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":["e2e.example.com/hold"]}}',
    );
    kubectlOk(cluster, "delete", "namespace", namespace, "--wait=false");
}

/** The login {@link editSecretByHand} writes, base64 of `hand:edit`: no report or message may show it. */
export const HAND_EDITED_AUTH = "aGFuZDplZGl0";

/** Replaces a pull Secret's content with another login for `server`, as someone with kubectl would. */
export function editSecretByHand(cluster: Cluster, namespace: string, name: string, server: string): void {
    const config = JSON.stringify({ auths: { [server]: { auth: HAND_EDITED_AUTH } } });
    kubectlOk(
        cluster,
        "patch",
        "secret",
        name,
        "-n",
        namespace,
        "--type=merge",
        "-p",
        JSON.stringify({ data: { ".dockerconfigjson": Buffer.from(config).toString("base64") } }),
    );
}

/** Lets a namespace held by {@link terminatingNamespace} finish its deletion. */
export function release(cluster: Cluster, namespace: string): void {
    kubectl(cluster, ["patch", "namespace", namespace, "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
}

/** The names in a service account's `imagePullSecrets`, in order; undefined when it has no list. */
export function imagePullSecretNames(
    cluster: Cluster,
    namespace: string,
    serviceAccount = "default",
): string[] | undefined {
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
export function kubectlDockerConfig(
    cluster: Cluster,
    login: { server: string; username: string; password: string },
): string {
    const secret = JSON.parse(
        kubectlOk(
            cluster,
            "create",
            "secret",
            "docker-registry",
            "x",
            `--docker-server=${login.server}`,
            `--docker-username=${login.username}`,
            `--docker-password=${login.password}`,
            "--dry-run=client",
            "-o",
            "json",
        ),
    );
    return Buffer.from(secret.data[".dockerconfigjson"], "base64").toString("utf8");
}

/** The `.dockerconfigjson` a Secret holds, decoded; undefined when the Secret does not exist. */
export function secretConfig(cluster: Cluster, namespace: string, name: string): string | undefined {
    const secret = getObject(cluster, "secret", namespace, name);
    return secret === undefined ? undefined : Buffer.from(secret.data[".dockerconfigjson"], "base64").toString("utf8");
}

/** A `default` service account whose `imagePullSecrets` is exactly `names`, applied as `fieldManager`. */
export function serviceAccountWithEntries(namespace: string, names: readonly string[]): object {
    return {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "default", namespace },
        imagePullSecrets: names.map((name) => ({ name })),
    };
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
 * It watches the list of accounts with that name, not the named account:
 * for a named object kubectl GETs it, prints it, then watches from
 * `resourceVersion=0` and hides that watch's first (synthetic) event, so a
 * write landing between the GET and the watch's start is never printed
 * (measured: 4 in 150 racing writes). For a list, kubectl watches from the
 * list's own resourceVersion and shows every change after it.
 *
 * Resolves once the watch has reported `current`, the list as it is now, so
 * the caller changes the list only after the watch has begun; `stop` waits
 * until the watch has reported the list as it is then, and returns the
 * versions from the first line on.
 */
export async function watchEntries(
    cluster: Cluster,
    current: readonly string[],
    namespace: string,
    serviceAccount = "default",
): Promise<{ stop: () => Promise<string[][]> }> {
    const watcher = spawnKubectl(
        cluster,
        [
            "get",
            "serviceaccounts",
            `--field-selector=metadata.name=${serviceAccount}`,
            "-n",
            namespace,
            "--watch",
            "-o",
            'jsonpath={.imagePullSecrets[*].name}{"\\n"}',
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
    );
    let output = "";
    watcher.stdout!.on("data", (chunk) => (output += chunk));
    const lines = () =>
        output
            .split("\n")
            .slice(0, -1)
            .map((line) => line.split(" ").filter((name) => name !== ""));
    const isCurrent = (names: string[]) => JSON.stringify(names) === JSON.stringify(current);
    await waitFor(() => lines().some(isCurrent), {
        awaited: `the watch of ${namespace}/${serviceAccount} to report ${JSON.stringify(current)}`,
        timeoutMs: 30_000,
        intervalMs: 50,
        lastSeen: () => JSON.stringify(lines()),
    });
    return {
        stop: async () => {
            // Until the watch has caught up with the list as it is now (read directly), not a guessed pause.
            const now = JSON.stringify(imagePullSecretNames(cluster, namespace, serviceAccount) ?? []);
            await waitFor(() => JSON.stringify(lines().at(-1)) === now, {
                awaited: `the watch to report ${now}`,
                timeoutMs: 30_000,
                intervalMs: 50,
            }).catch(() => {
                // A watch that lags behind still returns what it reported: the caller's assertions judge it.
            });
            watcher.kill();
            const seen = lines();
            return seen.slice(seen.findIndex(isCurrent));
        },
    };
}
