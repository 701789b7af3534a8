/**
 * The audit: what one cluster holds against what a RegistryCredentials
 * declares there, and which workloads' images its pull secrets do not
 * cover. It reads (get and list only) the cluster's namespaces, pull
 * Secrets, service accounts, Pods and Pod templates, and reports per
 * namespace in scope:
 *
 * - our Secret missing, of the wrong type, or stale (its content differs
 *   from what is declared: compared in memory, never printed or logged);
 * - each listed service account without our entry;
 * - orphans: our Secrets and entries in namespaces no longer in scope,
 *   known by the component's field manager in their `managedFields`;
 * - each container and init container image from one of the declared
 *   registries that the kubelet would find no credential for, in the Pod's
 *   own `imagePullSecrets` or, when it has none, its service account's
 *   (the ServiceAccount admission plugin copies them only into a Pod that
 *   names none), by the kubelet's own lookup (registryKey.ts);
 * - Pods already failing to pull (`ErrImagePull`, `ImagePullBackOff`).
 *
 * `auditCluster` reads; `auditFindings` is the pure part, tested on tables.
 */
import { DOCKER_HUB_SERVER, encodeDockerConfig } from "./dockerConfig";
import { RegistryCredentialsArgs } from "./args";
import { listNamespaces } from "./clusterCheck";
import { KubeConnection, ProviderConnection, connectionFor } from "./kubeconfig";
import { listEvery } from "./kubeClient";
import { ClusterNamespace, selectNamespaces } from "./namespaceSelector";
import { defaultFieldManager } from "./names";
import { imageRepository, kubeletKey, matchingKeys } from "./registryKey";
import { ManagedFieldsRecord, isOurEntriesRecord } from "./serviceAccountEntry";

/** What the audit found wrong, one thing each. */
export interface AuditFinding {
    /** The namespace the object is in. */
    readonly namespace: string;
    /** `Secret/regcred`, `ServiceAccount/builder`, `Deployment/web`, `Pod/web-0`... */
    readonly object: string;
    /** For an image: the container (or init container) that names it. */
    readonly container?: string;
    /** For an image: the image as the container names it. */
    readonly image?: string;
    /** What is wrong, for a machine to sort by. */
    readonly problem:
        | "secret-missing"
        | "secret-wrong-type"
        | "secret-stale"
        | "entry-missing"
        | "orphan-secret"
        | "orphan-entry"
        | "not-covered"
        | "pull-failing";
    /** Why, for a person; never a credential. */
    readonly reason: string;
}

/** One cluster's audit. */
export interface AuditReport {
    /** The namespaces in scope: listed, and selected now. */
    readonly namespaces: string[];
    /** Workloads whose Pod spec was checked (top-level objects and Pods no controller owns). */
    readonly workloads: number;
    /** Container images from the declared registries among them. */
    readonly images: number;
    /** Everything found wrong; none when every namespace, entry and image is as declared and covered. */
    readonly findings: AuditFinding[];
}

/** What the audit compares the cluster with: one component's declaration there. */
export interface AuditScope {
    readonly namespaces: readonly string[];
    /** The service accounts that should hold our entry, by namespace. */
    readonly serviceAccounts: Readonly<Record<string, readonly string[]>>;
    readonly secretName: string;
    /** The `.dockerconfigjson` the Secrets should hold. */
    readonly dockerConfigJson: string;
    readonly fieldManager: string;
}

/** The objects the audit reads, as the API server returns them (the fields it uses). */
export interface ClusterSnapshot {
    readonly secrets: readonly KubeObject[];
    readonly serviceAccounts: readonly KubeObject[];
    /** Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs, each with its `kind`. */
    readonly workloads: readonly KubeObject[];
}

/* eslint-disable @typescript-eslint/no-explicit-any -- API objects as JSON; each function reads the fields it needs */
type KubeObject = any;

const PULL_SECRET_TYPES = ["kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg"];
const FAILING_PULL = ["ErrImagePull", "ImagePullBackOff"];
/** Kinds whose Pod template the audit reads, each at its path, and the kinds that own them. */
const TEMPLATES: Record<string, (object: KubeObject) => KubeObject | undefined> = {
    Deployment: (o) => o.spec?.template?.spec,
    StatefulSet: (o) => o.spec?.template?.spec,
    DaemonSet: (o) => o.spec?.template?.spec,
    ReplicaSet: (o) => o.spec?.template?.spec,
    Job: (o) => o.spec?.template?.spec,
    CronJob: (o) => o.spec?.jobTemplate?.spec?.template?.spec,
    Pod: (o) => o.spec,
};

/** The findings, from what the cluster holds: pure. */
export function auditFindings(scope: AuditScope, cluster: ClusterSnapshot): AuditReport {
    const findings: AuditFinding[] = [];
    const inScope = new Set(scope.namespaces);
    const byName = (objects: readonly KubeObject[]) =>
        new Map<string, KubeObject>(objects.map((o) => [`${o.metadata?.namespace}/${o.metadata?.name}`, o]));
    const secrets = byName(cluster.secrets);
    const accounts = byName(cluster.serviceAccounts);
    const declaredKeys = keysOf(scope.dockerConfigJson);

    for (const namespace of scope.namespaces) {
        const object = `Secret/${scope.secretName}`;
        const secret = secrets.get(`${namespace}/${scope.secretName}`);
        if (secret === undefined) {
            findings.push({ namespace, object, problem: "secret-missing", reason: "the namespace has no such Secret" });
        } else if (secret.type !== "kubernetes.io/dockerconfigjson") {
            findings.push({
                namespace,
                object,
                problem: "secret-wrong-type",
                reason: `its type is ${secret.type}, not kubernetes.io/dockerconfigjson`,
            });
        } else if (decoded(secret.data?.[".dockerconfigjson"]) !== scope.dockerConfigJson) {
            findings.push({
                namespace,
                object,
                problem: "secret-stale",
                reason: "its content differs from what the stack declares (edited by hand, or an update not run)",
            });
        }
        for (const name of scope.serviceAccounts[namespace] ?? []) {
            const account = accounts.get(`${namespace}/${name}`);
            const has = (account?.imagePullSecrets ?? []).some(
                (entry: { name?: string }) => entry?.name === scope.secretName,
            );
            if (!has) {
                findings.push({
                    namespace,
                    object: `ServiceAccount/${name}`,
                    problem: "entry-missing",
                    reason:
                        account === undefined
                            ? "the service account does not exist"
                            : `its imagePullSecrets has no entry for ${scope.secretName}`,
                });
            }
        }
    }

    // Orphans: ours by our field manager's records, outside the scope.
    for (const secret of cluster.secrets) {
        const namespace = secret.metadata?.namespace;
        if (
            secret.metadata?.name === scope.secretName &&
            !inScope.has(namespace) &&
            (secret.metadata?.managedFields ?? []).some((r: ManagedFieldsRecord) => r?.manager === scope.fieldManager)
        ) {
            findings.push({
                namespace,
                object: `Secret/${scope.secretName}`,
                problem: "orphan-secret",
                reason: "ours (written by this stack's field manager) in a namespace no longer in scope",
            });
        }
    }
    for (const account of cluster.serviceAccounts) {
        const namespace = account.metadata?.namespace;
        const named = (account.imagePullSecrets ?? []).some((e: { name?: string }) => e?.name === scope.secretName);
        if (
            named &&
            !(scope.serviceAccounts[namespace] ?? []).includes(account.metadata?.name) &&
            (account.metadata?.managedFields ?? []).some((r: ManagedFieldsRecord) =>
                isOurEntriesRecord(r, scope.fieldManager),
            )
        ) {
            findings.push({
                namespace,
                object: `ServiceAccount/${account.metadata.name}`,
                problem: "orphan-entry",
                reason: `our entry for ${scope.secretName}, in a service account no longer in scope`,
            });
        }
    }

    // Workloads: each image from a declared registry, against the credentials its Pods would get.
    let workloads = 0;
    let images = 0;
    for (const workload of cluster.workloads) {
        const namespace = workload.metadata?.namespace;
        if (!inScope.has(namespace)) {
            continue;
        }
        const object = `${workload.kind}/${workload.metadata?.name}`;
        if (workload.kind === "Pod") {
            findings.push(...failingPulls(workload, namespace, object, declaredKeys));
        }
        const spec = TEMPLATES[workload.kind]?.(workload);
        if (spec === undefined || ownedByController(workload)) {
            continue;
        }
        workloads++;
        const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
        const ours = containers.filter((c) => matchingKeys(declaredKeys, imageRepository(String(c.image))).length > 0);
        images += ours.length;
        if (ours.length === 0) {
            continue;
        }
        const pullSecrets = pullSecretsOf(workload.kind, spec, namespace, accounts);
        for (const container of ours) {
            const repository = imageRepository(String(container.image));
            const available = pullSecrets.names.flatMap((name) => keysOfSecret(secrets.get(`${namespace}/${name}`)));
            if (matchingKeys(available, repository).length === 0) {
                findings.push({
                    namespace,
                    object,
                    container: container.name,
                    image: container.image,
                    problem: "not-covered",
                    reason: uncoveredReason(pullSecrets, repository.split("/")[0], namespace, secrets),
                });
            }
        }
    }
    // By namespace, then object and container: one namespace's problems read together.
    const order = (f: AuditFinding) => [f.namespace, f.object, f.container ?? ""].join("\u0000");
    findings.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
    return { namespaces: [...scope.namespaces], workloads, images, findings };
}

/** The pull secrets a workload's Pods get: their own, or (templates naming none) their service account's. */
function pullSecretsOf(
    kind: string,
    spec: KubeObject,
    namespace: string,
    accounts: ReadonlyMap<string, KubeObject>,
): { names: string[]; from: "own" | "account"; account: string; accountExists: boolean } {
    const own = (spec.imagePullSecrets ?? []).map((entry: { name?: string }) => String(entry?.name));
    const account = spec.serviceAccountName ?? spec.serviceAccount ?? "default";
    const found = accounts.get(`${namespace}/${account}`);
    // A Pod already holds what admission gave it; a template's Pods get the account's only when they name none.
    if (kind === "Pod" || own.length > 0) {
        return { names: own, from: "own", account, accountExists: found !== undefined };
    }
    const fromAccount = (found?.imagePullSecrets ?? []).map((entry: { name?: string }) => String(entry?.name));
    return { names: fromAccount, from: "account", account, accountExists: found !== undefined };
}

function uncoveredReason(
    pullSecrets: ReturnType<typeof pullSecretsOf>,
    registry: string,
    namespace: string,
    secrets: ReadonlyMap<string, KubeObject>,
): string {
    const missing = pullSecrets.names.filter((name) => secrets.get(`${namespace}/${name}`) === undefined);
    const absent =
        missing.length === 0 ? "" : `; ${missing.join(", ")} ${missing.length === 1 ? "does" : "do"} not exist`;
    if (pullSecrets.from === "account") {
        return pullSecrets.accountExists
            ? `its service account ${pullSecrets.account} has no pull secret for ${registry}${absent}`
            : `its service account ${pullSecrets.account} does not exist, so its Pods get no pull secret for ${registry}`;
    }
    return pullSecrets.names.length === 0
        ? `it names no pull secret for ${registry}`
        : `its own imagePullSecrets (${pullSecrets.names.join(", ")}) hold no login for ${registry}${absent}; a Pod that names its own gets none of its service account's`;
}

/** A Pod's containers that are failing to pull an image from a declared registry. */
function failingPulls(pod: KubeObject, namespace: string, object: string, declaredKeys: string[]): AuditFinding[] {
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    return statuses
        .filter((status) => FAILING_PULL.includes(status?.state?.waiting?.reason))
        .filter((status) => matchingKeys(declaredKeys, imageRepository(String(status.image))).length > 0)
        .map((status) => ({
            namespace,
            object,
            container: status.name,
            image: status.image,
            problem: "pull-failing" as const,
            reason: `${status.state.waiting.reason} from ${imageRepository(String(status.image)).split("/")[0]}`,
        }));
}

function ownedByController(object: KubeObject): boolean {
    return (object.metadata?.ownerReferences ?? []).some((owner: { controller?: boolean }) => owner?.controller);
}

/** The kubelet keys of a pull Secret's logins; none for a Secret that is missing or not a pull secret. */
function keysOfSecret(secret: KubeObject | undefined): string[] {
    if (secret === undefined || !PULL_SECRET_TYPES.includes(secret.type)) {
        return [];
    }
    return secret.type === "kubernetes.io/dockercfg"
        ? keysOfAuths(parsed(decoded(secret.data?.[".dockercfg"])))
        : keysOf(decoded(secret.data?.[".dockerconfigjson"]));
}

/** The kubelet keys of a `.dockerconfigjson`'s entries that hold credentials. */
function keysOf(config: string | undefined): string[] {
    return keysOfAuths(parsed(config)?.auths);
}

function keysOfAuths(auths: unknown): string[] {
    if (typeof auths !== "object" || auths === null) {
        return [];
    }
    return Object.entries(auths as Record<string, KubeObject>).flatMap(([server, entry]) => {
        const hasLogin = typeof entry?.auth === "string" || typeof entry?.username === "string";
        const key = kubeletKey(server);
        return hasLogin && "key" in key ? [key.key] : [];
    });
}

function decoded(data: string | undefined): string | undefined {
    return typeof data === "string" ? Buffer.from(data, "base64").toString("utf8") : undefined;
}

function parsed(text: string | undefined): KubeObject | undefined {
    try {
        return text === undefined ? undefined : JSON.parse(text);
    } catch {
        return undefined;
    }
}

/** What {@link auditCluster} needs: the cluster, and the component as it is declared there. */
export interface AuditRequest {
    /** The cluster as a Kubernetes provider is given it: a kubeconfig (contents or file), a context, a cluster. */
    readonly cluster: ProviderConnection;
    /** The component's name, which names its Secret by default and is part of its field manager. */
    readonly componentName: string;
    /** The component's arguments, every value known: passwords in plain text, in memory only. */
    readonly args: RegistryCredentialsArgs;
    /** The Pulumi project and stack, for the default field manager; not needed when `args.fieldManager` is set. */
    readonly project?: string;
    /** The Pulumi stack, for the default field manager. */
    readonly stack?: string;
}

/**
 * Audits one cluster against one component's arguments. Needs `get` and
 * `list`, cluster-wide, on namespaces, secrets, serviceaccounts, pods,
 * deployments, statefulsets, daemonsets, replicasets, jobs and cronjobs
 * (docs/usage.md, "Auditing a fleet"). Rejects, naming the cluster and the
 * object kind, when one of them cannot be read; never with a credential.
 */
export async function auditCluster(request: AuditRequest): Promise<AuditReport> {
    const connection = connectionFor(request.cluster);
    const listing = await listNamespaces(connection);
    if (!("namespaces" in listing)) {
        throw new Error(
            `cannot audit ${connection.server}: ${"unreachable" in listing ? listing.unreachable : listing.unlisted}`,
        );
    }
    const scope = auditScope(request, listing.namespaces);
    const types = [...PULL_SECRET_TYPES.map((type) => `type=${type}`), `metadata.name=${scope.secretName}`];
    const [secretLists, serviceAccounts, workloadLists] = await Promise.all([
        Promise.all(
            types.map((selector) =>
                listAll(connection, "api/v1/secrets", `fieldSelector=${encodeURIComponent(selector)}`),
            ),
        ),
        listAll(connection, "api/v1/serviceaccounts"),
        Promise.all(
            [
                ["api/v1/pods", "Pod"],
                ["apis/apps/v1/deployments", "Deployment"],
                ["apis/apps/v1/statefulsets", "StatefulSet"],
                ["apis/apps/v1/daemonsets", "DaemonSet"],
                ["apis/apps/v1/replicasets", "ReplicaSet"],
                ["apis/batch/v1/jobs", "Job"],
                ["apis/batch/v1/cronjobs", "CronJob"],
            ].map(async ([path, kind]) => (await listAll(connection, path)).map((item) => ({ ...item, kind }))),
        ),
    ]);
    const secrets = new Map<string, KubeObject>();
    for (const secret of secretLists.flat()) {
        secrets.set(`${secret.metadata?.namespace}/${secret.metadata?.name}`, secret);
    }
    return auditFindings(scope, { secrets: [...secrets.values()], serviceAccounts, workloads: workloadLists.flat() });
}

/** The namespaces, service accounts and content the component declares, resolved against the cluster's namespaces now. */
export function auditScope(request: AuditRequest, clusterNamespaces: readonly ClusterNamespace[]): AuditScope {
    const { args, componentName } = request;
    const fallback = args.attach === "admissionPolicy" ? [] : (args.serviceAccounts ?? ["default"]);
    const accounts: Record<string, readonly string[]> = {};
    for (const target of args.namespaces ?? []) {
        const own = typeof target === "string" ? { name: target } : target;
        accounts[own.name] = own.serviceAccounts ?? fallback;
    }
    if (args.namespaceSelectors !== undefined) {
        const selection = selectNamespaces(
            {
                selectors: args.namespaceSelectors,
                exclude: args.excludeNamespaces,
                listed: Object.keys(accounts),
                allowEmpty: true,
            },
            clusterNamespaces,
        );
        for (const namespace of selection.selected) {
            accounts[namespace] = fallback;
        }
    }
    const fieldManager =
        args.fieldManager ?? defaultFieldManager(request.project ?? "", request.stack ?? "", componentName);
    return {
        namespaces: Object.keys(accounts).sort(),
        serviceAccounts: accounts,
        secretName: args.secretName ?? componentName,
        dockerConfigJson: declaredConfig(args),
        fieldManager,
    };
}

/** The `.dockerconfigjson` the component would write, from known values. */
function declaredConfig(args: RegistryCredentialsArgs): string {
    if (args.dockerConfigJson !== undefined) {
        if (typeof args.dockerConfigJson !== "string") {
            throw new Error("the audit needs dockerConfigJson as a plain string");
        }
        return args.dockerConfigJson;
    }
    return encodeDockerConfig(
        (args.registries ?? []).map((login) => {
            const values = [login.server, login.username, login.password, login.email];
            if (values.some((value) => value !== undefined && typeof value !== "string")) {
                throw new Error("the audit needs every registry login as plain strings (an Output cannot be compared)");
            }
            return {
                server: (login.server as string | undefined) ?? DOCKER_HUB_SERVER,
                username: login.username as string,
                password: login.password as string,
                email: login.email as string | undefined,
            };
        }),
    );
}

/** Every item of a cluster-wide list, page by page; throws naming the resource when it cannot be listed. */
async function listAll(connection: KubeConnection, path: string, query = ""): Promise<KubeObject[]> {
    const listed = await listEvery(connection, path, { query });
    if ("items" in listed) {
        return listed.items;
    }
    const message = typeof listed.body?.message === "string" ? `: ${listed.body.message}` : "";
    throw new Error(`cannot list ${path.split("/").at(-1)} on ${connection.server} (HTTP ${listed.status})${message}`);
}
