/**
 * What the component needs to know of an Output that `apply` does not tell:
 * whether its value is known. An `apply` callback simply never runs on an
 * unknown value, yet the component must act on one:
 *
 * - during a preview, a Kubernetes provider's setting left unset reads as
 *   unknown, and the cluster must still be checked with the settings given;
 * - during an update run with `--continue-on-error`, the engine hands back
 *   the outputs of a resource whose operation failed as unknown, and the
 *   component must hold that namespace back, not the whole rollout.
 *
 * The Node SDK keeps both on every Output (`isKnown`, `promise(withUnknowns)`)
 * but leaves them out of its type declarations; this is the one place that
 * reads them, and test/failureReport.test.ts ("reading an Output's state")
 * fails if the SDK changes them.
 */
import * as pulumi from "@pulumi/pulumi";

interface OutputInternals<T> {
    readonly isKnown: Promise<boolean>;
    promise(withUnknowns?: boolean): Promise<T>;
}

/** The Output's value once it settles, or `known: false`; never rejects (a failed resource's outputs count as unknown). */
export async function settledValue<T>(output: pulumi.Output<T>): Promise<{ known: true; value: T } | { known: false }> {
    const internals = output as unknown as OutputInternals<T>;
    try {
        const [known, value] = await Promise.all([internals.isKnown, internals.promise(true)]);
        return known && !pulumi.containsUnknowns(value) ? { known: true, value } : { known: false };
    } catch {
        return { known: false };
    }
}

/** Whether this process runs on Pulumi's mock engine (the unit tests, `npm run render`), which no cluster stands behind. */
export function onMockEngine(): boolean {
    const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as typeof import("@pulumi/pulumi/runtime/mocks");
    return pulumi.runtime.getMonitor() instanceof MockMonitor;
}
