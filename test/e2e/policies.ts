/**
 * A ValidatingAdmissionPolicy that refuses our Secret in one namespace, as a
 * policy engine's webhook would: in-tree, so no webhook server is needed.
 */
import { strict as assert } from "assert";
import { Cluster } from "../../testcluster/controlPlane";
import { kubectl } from "../../testcluster/kubectl";
import { waitFor } from "../../testcluster/waitFor";

/** An admission policy that refuses our Secret in one namespace, as a policy engine's webhook would. */
export function refuseSecretIn(cluster: Cluster, namespace: string): string {
    const name = `e2e-refuse-secrets-${namespace}`;
    const policy = {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingAdmissionPolicy",
        metadata: { name },
        spec: {
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: [
                    { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["secrets"] },
                ],
            },
            validations: [
                {
                    expression: "object.metadata.name != 'regcred'",
                    message: "pull secrets are managed by the platform team's vault here",
                },
            ],
        },
    };
    const binding = {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingAdmissionPolicyBinding",
        metadata: { name },
        spec: {
            policyName: name,
            validationActions: ["Deny"],
            matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } },
        },
    };
    const result = kubectl(cluster, ["apply", "-f", "-"], {
        input: JSON.stringify({ apiVersion: "v1", kind: "List", items: [policy, binding] }),
    });
    assert.equal(result.status, 0, result.stderr);
    return name;
}

/** Whether the API server refuses our Secret in `namespace` now, by this file's policy: a server-side dry run, which writes nothing. */
function policyRefuses(cluster: Cluster, namespace: string): { refused: boolean; stderr: string } {
    const probe = kubectl(cluster, ["create", "secret", "generic", "regcred", "-n", namespace, "--dry-run=server"]);
    return { refused: probe.status !== 0 && /managed by the platform team/.test(probe.stderr), stderr: probe.stderr };
}

/** Waits until an admission policy is in force: the API server loads policies a moment after they are created. */
export async function untilRefused(cluster: Cluster, namespace: string): Promise<void> {
    let stderr = "";
    await waitFor(
        () => {
            const probe = policyRefuses(cluster, namespace);
            stderr = probe.stderr;
            return probe.refused;
        },
        {
            awaited: `the admission policy to take effect in ${namespace}`,
            timeoutMs: 30_000,
            intervalMs: 250,
            lastSeen: () => stderr,
        },
    );
}

/**
 * Removes the policy and its binding, and waits until the API server has let
 * go of it too: it drops a deleted policy a moment later, as it loads a new
 * one, and an `up` in between is refused again.
 */
export async function allowSecrets(cluster: Cluster, policy: string, namespace: string): Promise<void> {
    kubectl(cluster, [
        "delete",
        "validatingadmissionpolicybinding,validatingadmissionpolicy",
        policy,
        "--ignore-not-found",
    ]);
    let stderr = "";
    await waitFor(
        () => {
            const probe = policyRefuses(cluster, namespace);
            stderr = probe.stderr;
            return !probe.refused;
        },
        {
            awaited: `the API server to drop the deleted admission policy in ${namespace}`,
            timeoutMs: 30_000,
            intervalMs: 250,
            lastSeen: () => stderr,
        },
    );
}
