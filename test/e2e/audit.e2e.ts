/**
 * The audit on a real API server, on workloads created without nodes (it
 * reads their specs): one Deployment covered through its service account,
 * one whose service account lacks our entry, one with its own
 * `imagePullSecrets`, one on a registry the stack does not manage, a
 * Secret edited by hand, and an orphan left in a namespace no longer in scope.
 */
import { strict as assert } from "assert";
import { auditCluster } from "../../components";
import { kubectl, kubectlOk } from "../../testcluster/kubectl";
import { auditTable } from "../../stacks/audit";
import { HAND_EDITED_AUTH, createNamespace, editSecretByHand } from "./cluster";
import { sharedCluster } from "./hooks";
import { E2E_LOGIN, credentials, withStack } from "./pulumiStack";
import { apply, readmeAuditRbac } from "./rbac";

function deployment(namespace: string, name: string, image: string, spec: object = {}): object {
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { namespace, name },
        spec: {
            selector: { matchLabels: { app: name } },
            template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image }], ...spec } },
        },
    };
}

describe("the audit, on a real API server", function () {
    it("finds the uncovered image, the stale Secret and the orphans, and nothing in what is covered or unmanaged", async function () {
        const cluster = sharedCluster();
        await Promise.all(["audit-a", "audit-b", "audit-c"].map((namespace) => createNamespace(cluster, namespace)));
        kubectlOk(cluster, "create", "serviceaccount", "builder", "-n", "audit-a");
        kubectlOk(
            cluster,
            "create",
            "secret",
            "docker-registry",
            "team-pull",
            "-n",
            "audit-a",
            `--docker-server=${E2E_LOGIN.server}`,
            "--docker-username=team",
            "--docker-password=team-token",
        );
        const image = `${E2E_LOGIN.server}/shop/web:1.0`;
        const workloads = [
            deployment("audit-a", "covered", image),
            deployment("audit-a", "builder", image, { serviceAccountName: "builder" }),
            deployment("audit-a", "own", image, { imagePullSecrets: [{ name: "team-pull" }] }),
            deployment("audit-a", "unmanaged", "quay.io/acme/tool:2"),
        ];
        const applied = kubectl(cluster, ["apply", "-f", "-"], {
            input: JSON.stringify({ apiVersion: "v1", kind: "List", items: workloads }),
        });
        assert.equal(applied.status, 0, applied.stderr);

        try {
            await withStack(cluster, "audit", async (stack) => {
                await stack.up(credentials(["audit-a", "audit-b", "audit-c"]));
                editSecretByHand(cluster, "audit-b", "regcred", E2E_LOGIN.server);

                // The stack's namespaces as they are now edited, before the next up: audit-c is out of scope.
                // Read as a user with the README's read-only audit grant and nothing else of use here.
                apply(cluster, readmeAuditRbac("regcred-deployer"));
                const report = await auditCluster({
                    cluster: { kubeconfig: cluster.kubeconfig, context: cluster.deployerContext },
                    componentName: "regcred",
                    args: { registries: [E2E_LOGIN], namespaces: ["audit-a", "audit-b"] },
                    project: "regcred-e2e",
                    stack: "audit",
                });
                process.stderr.write(auditTable([{ cluster: "e2e", report }]));
                assert.deepEqual(
                    report.findings.map((f) => [f.namespace, f.object, f.problem, f.reason]).sort(),
                    [
                        [
                            "audit-a",
                            "Deployment/builder",
                            "not-covered",
                            "its service account builder has no pull secret for registry.example.com",
                        ],
                        [
                            "audit-b",
                            "Secret/regcred",
                            "secret-stale",
                            report.findings.find((f) => f.problem === "secret-stale")?.reason,
                        ],
                        [
                            "audit-c",
                            "Secret/regcred",
                            "orphan-secret",
                            report.findings.find((f) => f.problem === "orphan-secret")?.reason,
                        ],
                        [
                            "audit-c",
                            "ServiceAccount/default",
                            "orphan-entry",
                            report.findings.find((f) => f.problem === "orphan-entry")?.reason,
                        ],
                    ].sort(),
                );
                // Covered, own and unmanaged, and the ReplicaSets and Pods the Deployments own, are checked once each.
                assert.equal(report.workloads, 4);
                assert.equal(report.images, 3);
                assert.ok(!JSON.stringify(report).includes(E2E_LOGIN.password));
                assert.ok(!JSON.stringify(report).includes(HAND_EDITED_AUTH));
            });
        } finally {
            kubectl(cluster, ["delete", "clusterrolebinding,clusterrole", "regcred-auditor", "--ignore-not-found"]);
        }
    });
});
