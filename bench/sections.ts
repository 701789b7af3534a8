/**
 * BENCHMARKS.md has four writers: `npm run bench` (the mock engine),
 * `npm run bench:fixed`, `npm run bench:real` and `npm run bench:interrupted`
 * (a local cluster). Each of the last three owns marked sections, and every writer leaves the
 * others' as they are.
 */
import * as fs from "fs";

/** The sections `npm run bench:real` writes: the README route's run, and a run comparing `--settings`. */
export const REAL_ENGINE_SECTION = "real-engine";
export const REAL_ENGINE_SETTINGS_SECTION = "real-engine-settings";

/** The audit's time beside its floor, which `npm run bench:real` writes too. */
export const AUDIT_SECTION = "audit";

/** The section `npm run bench:interrupted` writes. */
export const INTERRUPTED_SECTION = "interrupted-up";

/** The section `npm run bench:fixed` writes. */
export const FIXED_COST_SECTION = "fixed-cost";

/** The marked sections, in the order the file keeps them. */
export const CLUSTER_SECTIONS = [
    FIXED_COST_SECTION,
    REAL_ENGINE_SECTION,
    REAL_ENGINE_SETTINGS_SECTION,
    AUDIT_SECTION,
    INTERRUPTED_SECTION,
];

const marker = (name: string, end: "start" | "end") => `<!-- ${name}:${end} -->`;

/** The text with `name`'s section replaced by `body` (appended when there is none). */
export function withSection(text: string, name: string, body: string): string {
    const [start, end] = [marker(name, "start"), marker(name, "end")];
    const block = `${start}\n${body.trimEnd()}\n${end}`;
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from === -1 || to === -1) {
        return `${text.trimEnd()}\n\n${block}\n`;
    }
    return text.slice(0, from) + block + text.slice(to + end.length);
}

/** `name`'s section with its markers, or "" when the text has none. */
export function sectionOf(text: string, name: string): string {
    const [start, end] = [marker(name, "start"), marker(name, "end")];
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    return from === -1 || to === -1 ? "" : text.slice(from, to + end.length);
}

/** Writes `body` as `name`'s section of `file` (created when missing), leaving the rest of the file as it is. */
export function writeSection(file: string, name: string, body: string): void {
    const existing = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    fs.writeFileSync(file, withSection(existing, name, body));
    process.stderr.write(`wrote ${file}\n`);
}
