/**
 * The two programs the benchmark compares, declaring the same resources:
 * the component, and the loop a user would write without it (with the
 * component's own service-account writer, which a user would have to write).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { RegistryCredentials } from "../components";
import { connectionOrReason } from "../components/kubeconfig";
import { entryKey } from "../components/serviceAccountEntry";
import { ServiceAccountEntries } from "../components/entriesResource";

export interface Workload {
    readonly namespaces: number;
    readonly serviceAccounts: number;
}

const registry = { server: "ghcr.io", username: "bench-bot", password: "bench-password" };

function names(prefix: string, count: number): string[] {
    return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}

/** Declares the rollout with the component; returns every resource to wait for. */
export function declareWithComponent(
    Component: typeof RegistryCredentials,
    { namespaces, serviceAccounts }: Workload,
): pulumi.Resource[] {
    const credentials = new Component("regcred", {
        registries: [{ ...registry, password: pulumi.secret(registry.password) }],
        namespaces: names("team", namespaces),
        serviceAccounts: names("sa", serviceAccounts),
    });
    return [credentials, ...Object.values(credentials.secrets), credentials.serviceAccountEntries!];
}

/** The same Secrets and service-account entries from a hand-written loop. */
export function declareBaseline({ namespaces, serviceAccounts }: Workload): pulumi.Resource[] {
    const { server, username, password } = registry;
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    const config = JSON.stringify({ auths: { [server]: { username, password, auth } } });
    const data = { ".dockerconfigjson": pulumi.secret(Buffer.from(config).toString("base64")) };
    const secrets: pulumi.Resource[] = [];
    const entries: Record<string, string> = {};
    for (const namespace of names("team", namespaces)) {
        secrets.push(
            new k8s.core.v1.Secret(`regcred/${namespace}`, {
                metadata: {
                    name: "regcred",
                    namespace,
                    annotations: {
                        "pulumi.com/deletionPropagationPolicy": "background",
                        // A field manager that survives a lost state, as the component's does.
                        "pulumi.com/patchFieldManager": `regcred/${pulumi.getProject()}/${pulumi.getStack()}/regcred`,
                    },
                },
                type: "kubernetes.io/dockerconfigjson",
                data,
            }),
        );
        for (const serviceAccount of names("sa", serviceAccounts)) {
            entries[entryKey(namespace, serviceAccount)] = "regcred";
        }
    }
    const writer = new ServiceAccountEntries(
        "regcred/service-accounts",
        // The connection as a hand-written program would read it; on the mock engine there may be no cluster.
        {
            entries,
            held: [],
            connection: pulumi.secret(connectionOrReason({ kubeconfig: process.env.KUBECONFIG })),
            fieldManager: "regcred",
            waitSeconds: 60,
        },
        { dependsOn: secrets },
    );
    return [...secrets, writer];
}
