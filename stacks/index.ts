/**
 * The Pulumi program of this project's stacks (Pulumi.yaml: `main: stacks/`),
 * for a plain `pulumi up -s <stack>` under a Node language host. The deploy
 * scripts (stacks/deploy.ts) run the same program in process.
 */
import { configFromRuntime, declareStack, stackOutputs } from "./program";

/** Per cluster (kubeconfig context, or "current-context"): the Secret's name and the namespaces that hold it. */
export const rollout = stackOutputs(declareStack(configFromRuntime())).rollout;
