/**
 * The one place that sets Pulumi's mock runtime for the tests. Every test file
 * imports it before the code under test, which it loads with
 * `loadComponents()` (or, for the stack program, `loadStackProgram()`).
 *
 * The recording itself lives in stacks/mockRuntime.ts, which `npm run render`
 * uses too, so that the tests see resources exactly as render does.
 */
import * as pulumi from "@pulumi/pulumi";
import { Registration, allRegistered, startMockRuntime } from "../stacks/mockRuntime";

export { Registration, isSecretWrapped, unwrapSecret, valueOf } from "../stacks/mockRuntime";

export const PROJECT = "platform";
export const STACK = "test";

const runtime = startMockRuntime(PROJECT, STACK);

// Configured as the README tells users to, so that password rotation updates
// Secrets in place; the test of the warning without it switches it off.
pulumi.runtime.setConfig("kubernetes:enableSecretMutable", "true");

/** The outputs a component registered, by URN, serialized as for state. */
export const componentOutputs = runtime.componentOutputs;

/** The library, loaded after the mocks are in place. */
export function loadComponents(): Promise<typeof import("../components")> {
    return import("../components");
}

/** The stack program's declarations, loaded after the mocks are in place. */
export function loadStackProgram(): Promise<typeof import("../stacks/program")> {
    return import("../stacks/program");
}

/**
 * Runs `declare`, waits until every resource it returns is registered, and
 * returns the registrations made meanwhile. A component's own URN resolves
 * before its children exist, so pass the children too.
 */
export async function registered(declare: () => pulumi.Resource[]): Promise<Registration[]> {
    const start = runtime.registrations.length;
    await allRegistered(declare());
    return runtime.registrations.slice(start);
}

/**
 * A kubeconfig of made-up clusters. The component reads its provider's
 * kubeconfig for the service-account writer; KUBECONFIG points here, so no
 * test reads the developer's own.
 */
export const KUBECONFIG_FIXTURE = require("path").join(__dirname, "fixtures", "kubeconfig.yaml");
process.env.KUBECONFIG = KUBECONFIG_FIXTURE;
