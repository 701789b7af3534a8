/**
 * The one message a component gives about what did not land, or (in a
 * preview) will not. A preview warns: an error would fail the preview that
 * `pulumi up` runs first, and so stop the rollout to every namespace and
 * cluster that is fine. The update reports each failure as an error, which
 * fails the update (its exit status is non-zero) once everything else has
 * landed.
 *
 * Failures that share a reason share a line, so a cluster that is down is
 * one line, not a thousand.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterCheck } from "./clusterCheck";
import { parseKey } from "./serviceAccountEntry";

export interface RolloutOutcome {
    /** Which cluster, for the message: its context and server. */
    readonly label: string;
    readonly check: ClusterCheck;
    /** Every listed namespace. */
    readonly namespaces: readonly string[];
    /** The namespaces whose Secret is in place. */
    readonly landed: ReadonlySet<string>;
    /** `namespace/serviceAccount` → why its entry was not written; `*` for the entries resource as a whole. */
    readonly entryFailures: Readonly<Record<string, string>>;
}

/**
 * Says, as soon as the cluster has been asked, what the check found: in a
 * preview, the namespaces that cannot be rolled out (a warning); and, in
 * either, that the namespaces could not be checked. A preview says it before
 * any Secret's dry-run, one of which may stop the preview.
 */
export function reportCheck(
    component: pulumi.Resource,
    label: string,
    check: ClusterCheck,
    namespaces: readonly string[],
): void {
    const head = `On ${label}:`;
    if (check.unchecked !== undefined) {
        void pulumi.log.warn(
            `${head} the namespaces were not checked before writing, because the deployer ${check.unchecked}. The rollout goes on.`,
            component,
        );
    }
    if (!pulumi.runtime.isDryRun()) {
        return;
    }
    const failures = failuresOf({ label, check, namespaces, landed: new Set(namespaces), entryFailures: {} }, true);
    const affected = Object.keys(failures).length;
    if (affected > 0) {
        void pulumi.log.warn(
            [
                `${head} ${count(affected, "namespace")} of ${number(namespaces.length)} cannot be rolled out; \`pulumi up\` will fail for them, after rolling out the rest:`,
                ...groupByReason(failures, namespaces.length),
            ].join("\n"),
            component,
        );
    }
}

/**
 * After an update: logs what did not land as one error on `component`, and
 * returns it by namespace or `namespace/serviceAccount`. A preview returns
 * nothing: `reportCheck` has said what it knows.
 */
export function reportFailures(component: pulumi.Resource, outcome: RolloutOutcome): Record<string, string> {
    if (pulumi.runtime.isDryRun()) {
        return {};
    }
    const failures = failuresOf(outcome, false);
    if (Object.keys(failures).length === 0) {
        return failures;
    }
    const namespaces = new Set(Object.keys(failures).map((key) => parseKey(key).namespace));
    const total = outcome.namespaces.length;
    const affected = namespaces.has("*") ? total : namespaces.size;
    const rest = total - affected;
    void pulumi.log.error(
        [
            `On ${outcome.label}: ${count(affected, "namespace")} of ${number(total)} ${affected === 1 ? "is" : "are"} not rolled out${rest > 0 ? `; the other ${number(rest)} are` : ""}:`,
            ...groupByReason(failures, total),
            "Fix these and run `pulumi up` again: it retries them and leaves the rest as they are.",
        ].join("\n"),
        component,
    );
    return failures;
}

function failuresOf(outcome: RolloutOutcome, preview: boolean): Record<string, string> {
    const failures: Record<string, string> = {};
    for (const namespace of outcome.namespaces) {
        // What the provider wrote is the truth: a Secret that landed did, whatever the check said.
        const landed = !preview && outcome.landed.has(namespace);
        if (outcome.check.badNamespaces[namespace] !== undefined) {
            failures[namespace] = outcome.check.badNamespaces[namespace];
        } else if (outcome.check.unreachable !== undefined && !landed) {
            failures[namespace] = `the cluster cannot be reached: ${outcome.check.unreachable}`;
        } else if (!preview && !landed) {
            failures[namespace] =
                "its Secret could not be written (the Secret's own error says why); nothing new names it there, and what named the old one still does";
        }
    }
    for (const [key, reason] of Object.entries(outcome.entryFailures)) {
        if (failures[parseKey(key).namespace] === undefined) {
            failures[key] = `${reason}${key === "*" ? "" : " (the namespace's Secret is in place)"}`;
        }
    }
    return failures;
}

/** One line per reason: `reason: a, b, c`, or `a: reason` when it is one namespace's alone. */
function groupByReason(failures: Record<string, string>, total: number): string[] {
    const byReason = new Map<string, string[]>();
    for (const [key, reason] of Object.entries(failures)) {
        byReason.set(reason, [...(byReason.get(reason) ?? []), key]);
    }
    return [...byReason].map(([reason, keys]) => {
        if (keys.length === 1) {
            return `  - ${keys[0] === "*" ? "every namespace" : keys[0]}: ${reason}`;
        }
        return `  - ${keys.length === total ? `all ${number(total)} namespaces` : keys.sort().join(", ")}: ${reason}`;
    });
}

function count(n: number, noun: string): string {
    return `${number(n)} ${noun}${n === 1 ? "" : "s"}`;
}

function number(n: number): string {
    return n.toLocaleString("en-US");
}
