/**
 * Problems with a caller's settings, collected rather than thrown one at a
 * time, so that one run reports them all; and the error that carries them.
 * The component's arguments and the stacks' config both report this way.
 */
import * as pulumi from "@pulumi/pulumi";
import { closest } from "./closest";

/** One thing wrong with the arguments: where, and why. */
export interface Problem {
    /** The setting, as a path into the arguments: `registries[0].server`. */
    readonly propertyPath: string;
    /** What is wrong with it and how to fix it; never a credential. */
    readonly reason: string;
}

/** Records a problem at a property path. */
export type Report = (path: string, reason: string) => void;

/** An empty problem list and the function that adds to it. */
export function collectProblems(): { problems: Problem[]; report: Report } {
    const problems: Problem[] = [];
    return { problems, report: (propertyPath, reason) => problems.push({ propertyPath, reason }) };
}

/** Settings an object does not take, each with the one probably meant: a JavaScript caller's typo would otherwise be dropped without a word. */
export function checkKnownKeys(object: object, path: string, known: readonly string[], report: Report): void {
    for (const key of Object.keys(object)) {
        if (!known.includes(key) && (object as Record<string, unknown>)[key] !== undefined) {
            const suggestion = closest(key, known);
            report(
                path === "" ? key : `${path}.${key}`,
                suggestion === undefined
                    ? `is not a setting here; the settings are ${known.join(", ")}`
                    : `is not a setting here; did you mean "${suggestion}"?`,
            );
        }
    }
}

/** The problems as the indented list every such error prints, one line each. */
export function problemList(problems: readonly Problem[]): string {
    return problems.map((p) => `  - ${p.propertyPath}: ${p.reason}`).join("\n");
}

/**
 * The component's error for a list of problems: its message lists them all,
 * for a program run by hand, and `errors` carries them for the Pulumi engine.
 */
export function invalidArgsError(componentName: string, problems: readonly Problem[]): pulumi.InputPropertiesError {
    const count = problems.length === 1 ? "an invalid input" : `${problems.length} invalid inputs`;
    return new InvalidArgsError({
        message: `RegistryCredentials ${JSON.stringify(componentName)} has ${count}:\n${problemList(problems)}`,
        errors: problems.map((p) => ({ propertyPath: p.propertyPath, reason: p.reason })),
    });
}

/**
 * Also marked as a RunError, which Pulumi's Node runtime prints as its
 * message alone. Any other error it prints as "Unhandled exception" with a
 * stack trace into this package's code, which reads like a crash and tells
 * the user nothing about their mistake. (The SDK tells errors apart by
 * these marks, not by class.)
 */
class InvalidArgsError extends pulumi.InputPropertiesError {
    readonly __pulumiRunError = true;
}
