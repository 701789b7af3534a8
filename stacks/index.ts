/**
 * The Pulumi program of this project's stacks (Pulumi.yaml: `main: stacks/`).
 * `pulumi up -s <stack>` runs it with the config in stacks/Pulumi.<stack>.yaml.
 */
import { configFromRuntime, declareStack } from "./program";

const clusters = declareStack(configFromRuntime());

/** Per cluster (kubeconfig context, or "current-context"): the Secret's name and the namespaces that hold it. */
export const rollout = Object.fromEntries(
    clusters.map(({ cluster, credentials }) => [
        cluster.key,
        { secretName: credentials.secretName, namespaces: Object.keys(credentials.secrets), serviceAccountPatches: Object.keys(credentials.serviceAccountPatches) },
    ]),
);
