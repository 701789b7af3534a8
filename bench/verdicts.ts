/**
 * The targets the component is held to on the real engine, from 100 to
 * 10,000 namespaces: its rollout, preview, rotation and destroy against the
 * kubectl floor and the seeds' loop, its growth with size, and its memory.
 * Judged on one setting's figures from one `bench:real` run: every ratio is
 * against the floor and the loop measured in the same run.
 */
import { median } from "./report";

export const FLOOR = "kubectl floor: one apply --server-side";
export const LOOP = "seeds' loop: kubectl create secret + patch, per namespace";

/** What a run measured, by size and operation label ("<setting>: <operation>", or the floor's and loop's). */
export interface Measured {
    /** Seconds, one entry per round. */
    readonly seconds: (size: number, label: string) => readonly number[] | undefined;
    /** The largest peak over the rounds, all processes together, in bytes. */
    readonly peakBytes: (size: number, label: string) => number | undefined;
    /** The API requests for Secrets and service accounts, by "<resource> <VERB>". */
    readonly requests: (size: number, label: string) => Readonly<Record<string, number>> | undefined;
}

export const OPERATIONS = [
    "first preview",
    "first up (no preview)",
    "no-op preview",
    "no-op up",
    "a namespace added",
    "rotation",
    "destroy",
];

const WRITE_VERBS = ["POST", "PUT", "PATCH", "APPLY", "DELETE"];

/** The first rollout without its preview, at most this many times the floor, by size. */
const FIRST_UP_LIMITS: [number, number][] = [
    [100, 3],
    [1000, 2],
    [10000, 2],
];

/** How much longer any operation may take at the larger size. */
const GROWTH_LIMITS = [
    { from: 1000, to: 2000, limit: 2.2 },
    { from: 1000, to: 10000, limit: 11 },
];

/** The operations' peak memory, all processes together, by size, in bytes. */
const MEMORY_LIMITS: [number, number][] = [
    [2000, 1e9],
    [10000, 4e9],
];

/** One line per target the run can judge, "holds" or "MISSED" first. */
export function realEngineVerdicts(measured: Measured, setting: string): string[] {
    const time = (size: number, label: string) => {
        const values = measured.seconds(size, label);
        return values === undefined || values.length === 0 ? undefined : median(values);
    };
    const of = (size: number, operation: string) => time(size, `${setting}: ${operation}`);
    const verdict = (holds: boolean, text: string) => `- **${holds ? "holds" : "MISSED"}**: ${text}`;
    const lines: string[] = [];

    const [floor, loop] = [time(1000, FLOOR), time(1000, LOOP)];
    const [preview, up, noopPreview, rotation, destroy] = [
        "first preview",
        "first up (no preview)",
        "no-op preview",
        "rotation",
        "destroy",
    ].map((operation) => of(1000, operation));
    for (const [size, limit] of FIRST_UP_LIMITS) {
        const [sizeFloor, sizeUp] = [time(size, FLOOR), of(size, "first up (no preview)")];
        if (sizeFloor === undefined || sizeUp === undefined) {
            continue;
        }
        // Against the loop where it is measured, at 1,000.
        const faster = size === 1000 && loop !== undefined ? loop / sizeUp : undefined;
        lines.push(
            verdict(
                sizeUp <= limit * sizeFloor && (faster === undefined || faster >= 6),
                `first rollout at ${size.toLocaleString("en-US")} without preview at most ${limit}× the floor${faster === undefined ? "" : " and at least 6× faster than the loop"}: ${sizeUp.toFixed(1)} s, ${(sizeUp / sizeFloor).toFixed(1)}× the floor${faster === undefined ? "" : `, ${faster.toFixed(1)}× faster than the loop`}.`,
            ),
        );
    }
    if (floor !== undefined && up !== undefined) {
        if (preview !== undefined) {
            lines.push(
                verdict(
                    preview + up <= 5 * floor,
                    `first rollout at 1,000 with its preview at most 5× the floor: ${(preview + up).toFixed(1)} s, ${((preview + up) / floor).toFixed(1)}×.`,
                ),
            );
        }
    }
    if (noopPreview !== undefined) {
        lines.push(verdict(noopPreview <= 5, `no-op preview at 1,000 at most 5 s: ${noopPreview.toFixed(1)} s.`));
    }
    if (floor !== undefined && rotation !== undefined) {
        const requests = measured.requests(1000, `${setting}: rotation`) ?? {};
        const accountWrites = WRITE_VERBS.reduce((sum, verb) => sum + (requests[`serviceaccounts ${verb}`] ?? 0), 0);
        const secretPatches = requests["secrets PATCH"] ?? 0;
        // After "a namespace added", the stack holds 1,001 Secrets.
        lines.push(
            verdict(
                rotation <= 4 * floor && accountWrites === 0 && secretPatches === 1001,
                `rotation at 1,000 at most 4× the floor, writing only the Secrets: ${rotation.toFixed(1)} s, ${(rotation / floor).toFixed(1)}×; ${secretPatches} Secret patches for 1,001 Secrets, ${accountWrites} service-account writes.`,
            ),
        );
    }
    if (floor !== undefined && destroy !== undefined) {
        lines.push(
            verdict(
                destroy <= 5 * floor,
                `destroy at 1,000 at most 5× the floor: ${destroy.toFixed(1)} s, ${(destroy / floor).toFixed(1)}×.`,
            ),
        );
    }
    for (const { from, to, limit } of GROWTH_LIMITS) {
        const growths = OPERATIONS.flatMap((operation) => {
            const [before, after] = [of(from, operation), of(to, operation)];
            return before === undefined || after === undefined ? [] : [{ operation, growth: after / before }];
        });
        if (growths.length > 0) {
            const over = growths.filter(({ growth }) => growth > limit);
            lines.push(
                verdict(
                    over.length === 0,
                    `growth, time(${to.toLocaleString("en-US")}) / time(${from.toLocaleString("en-US")}), at most ${limit} for every operation: ${growths.map(({ operation, growth }) => `${operation} ${growth.toFixed(2)}`).join(", ")}.`,
                ),
            );
        }
    }
    for (const [size, limitBytes] of MEMORY_LIMITS) {
        const peaks = OPERATIONS.flatMap((operation) => {
            const bytes = measured.peakBytes(size, `${setting}: ${operation}`);
            return bytes === undefined ? [] : [{ operation, bytes }];
        });
        if (peaks.length > 0) {
            const largest = peaks.reduce((a, b) => (b.bytes > a.bytes ? b : a));
            lines.push(
                verdict(
                    largest.bytes <= limitBytes,
                    `memory at ${size.toLocaleString("en-US")}, program and CLI with its plugins together, at most ${limitBytes / 1e9} GB: at most ${(largest.bytes / 1e9).toFixed(2)} GB (${largest.operation}).`,
                ),
            );
        }
    }
    return lines;
}
