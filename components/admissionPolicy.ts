/**
 * The admission-policy way to attach the Secret: a MutatingAdmissionPolicy
 * (admissionregistration.k8s.io/v1, Kubernetes 1.36 and later) that adds our
 * entry to every Pod created in the listed namespaces, and a binding that
 * selects them by the `kubernetes.io/metadata.name` label the API server
 * puts on every namespace. No service account is touched.
 *
 * `imagePullSecrets` is atomic, and an ApplyConfiguration mutation may not
 * change atomic lists ("may not mutate atomic arrays, maps or structs"), so
 * the mutation is a JSON Patch: append to the list, creating it first if
 * there is none. By then
 * the ServiceAccount admission plugin has copied the account's own entries
 * into the Pod, so they come first. A match condition skips Pods that name
 * the Secret already, so nothing is listed twice.
 */
import * as pulumi from "@pulumi/pulumi";

export const ADMISSION_API_VERSION = "admissionregistration.k8s.io/v1";

export interface AdmissionObjects {
    readonly policy: Record<string, unknown>;
    readonly binding: Record<string, unknown>;
}

/**
 * The policy and its binding. `name` must be unique in the cluster (they are
 * cluster-scoped); `secretName` is a DNS-1123 subdomain, so it needs no
 * quoting inside the CEL strings.
 */
export function admissionObjects(
    name: string,
    secretName: string,
    namespaces: pulumi.Input<readonly string[]>,
): AdmissionObjects {
    const entry = `Object.spec.imagePullSecrets{name: "${secretName}"}`;
    return {
        policy: {
            apiVersion: ADMISSION_API_VERSION,
            kind: "MutatingAdmissionPolicy",
            metadata: { name },
            spec: {
                matchConstraints: {
                    resourceRules: [
                        { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] },
                    ],
                },
                matchConditions: [
                    {
                        name: "does-not-name-the-secret-yet",
                        expression: `!has(object.spec.imagePullSecrets) || !object.spec.imagePullSecrets.exists(s, s.name == "${secretName}")`,
                    },
                ],
                // Fail rather than Ignore: a Pod created without its pull secret fails later, and less clearly.
                failurePolicy: "Fail",
                reinvocationPolicy: "Never",
                mutations: [
                    {
                        patchType: "JSONPatch",
                        jsonPatch: {
                            // With no list yet, an empty one is made first, then appended to: a list
                            // of typed objects as a patch value panics the 1.36 API server's CEL
                            // conversion (cel-go's list ConvertToNative), an empty list does not.
                            expression:
                                `(has(object.spec.imagePullSecrets) ? [] : [JSONPatch{op: "add", path: "/spec/imagePullSecrets", value: []}]) + ` +
                                `[JSONPatch{op: "add", path: "/spec/imagePullSecrets/-", value: ${entry}}]`,
                        },
                    },
                ],
            },
        },
        binding: {
            apiVersion: ADMISSION_API_VERSION,
            kind: "MutatingAdmissionPolicyBinding",
            metadata: { name },
            spec: {
                policyName: name,
                matchResources: {
                    namespaceSelector: {
                        matchExpressions: [
                            {
                                key: "kubernetes.io/metadata.name",
                                operator: "In",
                                values: pulumi.output(namespaces).apply((list) => [...list].sort()),
                            },
                        ],
                    },
                },
            },
        },
    };
}
