/**
 * The audit's time on a fleet (`npm run bench:real`, its "Audit" section):
 * `size` namespaces, each with the component's Secret and entry and two
 * Deployments of an image from the declared registry, one covered by the
 * service account and one naming its own pull secret that does not exist.
 * Beside it, the floor: one `kubectl get -A -o json` of the same kinds of
 * objects, what any audit must at least read.
 *
 * The Deployments have `replicas: 0`, so no Pods and no scheduling: the
 * audit reads specs, and the cluster has no nodes.
 */
import { auditCluster } from "../components";
import { Cluster } from "../testcluster/controlPlane";
import { kubectlOk, serverSideApply } from "../testcluster/kubectl";
import { createNamespaces, seconds } from "./realStack";
import { median } from "./report";
import { LOGIN } from "./settings";

/** The kinds the audit lists, as one `kubectl get` names them. */
const KINDS = "namespaces,secrets,serviceaccounts,pods,deployments,statefulsets,daemonsets,replicasets,jobs,cronjobs";

export interface AuditTiming {
    /** Seconds for `auditCluster`, in this process. */
    readonly audit: number;
    /** Seconds for one `kubectl get` of the same kinds, all namespaces. */
    readonly floor: number;
    readonly namespaces: number;
    readonly workloads: number;
    /** What the audit found: one uncovered image per namespace, by construction. */
    readonly findings: number;
}

/** Arranges the fleet under `prefix`, then times the floor and the audit once each. */
export async function timeAudit(cluster: Cluster, prefix: string, size: number): Promise<AuditTiming> {
    const namespaces = await createNamespaces(cluster, prefix, size);
    const password = "bench-audit";
    const config = JSON.stringify({
        auths: {
            [LOGIN.server]: {
                username: LOGIN.username,
                password,
                auth: Buffer.from(`${LOGIN.username}:${password}`).toString("base64"),
            },
        },
    });
    const image = `${LOGIN.server}/shop/web:1.0`;
    const deployment = (namespace: string, name: string, spec: object) => ({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { namespace, name },
        spec: {
            replicas: 0,
            selector: { matchLabels: { app: name } },
            template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image }], ...spec } },
        },
    });
    const items = namespaces.flatMap((namespace) => [
        {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "regcred", namespace },
            type: "kubernetes.io/dockerconfigjson",
            data: { ".dockerconfigjson": Buffer.from(config).toString("base64") },
        },
        {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: { name: "default", namespace },
            imagePullSecrets: [{ name: "regcred" }],
        },
        deployment(namespace, "web", {}),
        deployment(namespace, "own", { imagePullSecrets: [{ name: "missing" }] }),
    ]);
    serverSideApply(cluster, { apiVersion: "v1", kind: "List", items }, "bench-audit");

    let started = process.hrtime.bigint();
    kubectlOk(cluster, "get", KINDS, "-A", "-o", "json");
    const floor = seconds(started);

    started = process.hrtime.bigint();
    const report = await auditCluster({
        cluster: { kubeconfig: cluster.kubeconfig, context: cluster.adminContext },
        componentName: "regcred",
        args: { registries: [{ ...LOGIN, password }], namespaces },
        project: "bench",
        stack: "audit",
    });
    const audit = seconds(started);
    return { audit, floor, namespaces: size, workloads: report.workloads, findings: report.findings.length };
}

/** The section's table: the medians over rounds, with their range, and the audit against its floor. */
export function auditTable(bySize: ReadonlyMap<number, AuditTiming[]>): string {
    const figure = (values: number[]) =>
        `${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
    const lines = [
        "| namespaces | workloads | audit s (min–max) | floor: one kubectl get s (min–max) | × floor | findings |",
        "|---|---|---|---|---|---|",
    ];
    for (const [size, timings] of bySize) {
        const audit = timings.map((t) => t.audit);
        const floor = timings.map((t) => t.floor);
        lines.push(
            `| ${size} | ${timings[0].workloads} | ${figure(audit)} | ${figure(floor)} | ${(median(audit) / median(floor)).toFixed(2)} | ${timings[0].findings} |`,
        );
    }
    return lines.join("\n");
}
