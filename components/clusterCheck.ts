/**
 * What the component asks a cluster before it writes anything: can it be
 * reached with these credentials, and which of the listed namespaces cannot
 * take a Secret (missing, or being deleted). One LIST of namespaces, paged,
 * so a preview of 1,000 namespaces costs a request or two, not a thousand.
 *
 * A deployer with namespace Roles only (README, "RBAC"; docs/security.md) may not list
 * namespaces: then the check says so once and the rollout goes on unchecked.
 * Nothing here throws; every answer is data for the component to report.
 */
import { KubeConnection, UnusableConnection } from "./kubeconfig";
import { listEvery } from "./kubeClient";
import { ClusterNamespace } from "./namespaceSelector";

export interface ClusterCheck {
    /** Set when the cluster cannot be used at all: nothing can land there. */
    readonly unreachable?: string;
    /** Set when the namespaces could not be read, so they were not checked. */
    readonly unchecked?: string;
    /** Listed namespaces that cannot take a Secret, with why. */
    readonly badNamespaces: Readonly<Record<string, string>>;
}

/** A cluster that was not asked (render, the unit tests' mock engine). */
export const NOT_CHECKED: ClusterCheck = { badNamespaces: {} };

/** Namespaces per page of the LIST: small pages keep a huge cluster's answer small. */
const PAGE = 500;
/** A cluster that does not answer in this long is reported as unreachable; the provider's own requests would wait no better. */
const TIMEOUT_MS = 15_000;

export async function checkCluster(
    connection: KubeConnection | UnusableConnection,
    namespaces: readonly string[],
): Promise<ClusterCheck> {
    return checkListed(await listNamespaces(connection), namespaces);
}

/**
 * The cluster's namespaces, with their labels, or why they could not be
 * read: the one LIST that both the check and label selectors
 * (namespaceSelector.ts) use.
 */
export type NamespaceListing =
    | { readonly namespaces: readonly ClusterNamespace[] }
    | { readonly unreachable: string }
    | { readonly unlisted: string };

export async function listNamespaces(connection: KubeConnection | UnusableConnection): Promise<NamespaceListing> {
    if ("unusable" in connection) {
        return { unreachable: connection.unusable };
    }
    let listed;
    try {
        listed = await listEvery(connection, "api/v1/namespaces", { pageSize: PAGE, timeoutMs: TIMEOUT_MS });
    } catch (error) {
        return { unreachable: (error as Error).message };
    }
    if ("items" in listed) {
        return { namespaces: (listed.items as NamespaceObject[]).map(clusterNamespace) };
    }
    if (listed.status === 401) {
        return {
            unreachable: `the API server at ${connection.server} refuses the kubeconfig's credentials (HTTP 401)${reasonOf(listed.body)}`,
        };
    }
    return { unlisted: `could not list namespaces (HTTP ${listed.status})${reasonOf(listed.body)}` };
}

/** What the listing says of the listed namespaces. */
export function checkListed(listing: NamespaceListing, namespaces: readonly string[]): ClusterCheck {
    if ("unreachable" in listing) {
        return { unreachable: listing.unreachable, badNamespaces: {} };
    }
    if ("unlisted" in listing) {
        return { unchecked: listing.unlisted, badNamespaces: {} };
    }
    return { badNamespaces: namespaceProblems(namespaces, new Map(listing.namespaces.map((ns) => [ns.name, ns]))) };
}

interface NamespaceObject {
    readonly metadata?: {
        readonly name?: string;
        readonly deletionTimestamp?: string;
        readonly labels?: Record<string, string>;
    };
    readonly status?: { readonly phase?: string };
}

function clusterNamespace(item: NamespaceObject): ClusterNamespace {
    const terminating = item.metadata?.deletionTimestamp ?? (item.status?.phase === "Terminating" ? "yes" : undefined);
    return {
        name: item.metadata?.name ?? "",
        labels: item.metadata?.labels ?? {},
        ...(terminating === undefined ? {} : { terminating }),
    };
}

/** Why each listed namespace cannot take a Secret, given the cluster's namespaces by name. */
function namespaceProblems(
    listed: readonly string[],
    found: ReadonlyMap<string, ClusterNamespace>,
): Record<string, string> {
    const problems: Record<string, string> = {};
    for (const name of listed) {
        const namespace = found.get(name);
        if (namespace === undefined) {
            problems[name] = "the namespace does not exist";
        } else if (namespace.terminating !== undefined) {
            const since = namespace.terminating === "yes" ? undefined : namespace.terminating;
            problems[name] =
                `the namespace is being deleted${since === undefined ? "" : ` (since ${since})`}, and the API server refuses new objects in it`;
        }
    }
    return problems;
}

function reasonOf(body: { message?: unknown } | undefined): string {
    return typeof body?.message === "string" ? `: ${body.message}` : "";
}
