/**
 * BENCHMARKS.md has two writers: `npm run bench` (the mock engine) and
 * `npm run bench:real` (a local cluster). Each owns a marked section and
 * leaves the other's as it is.
 */

/** The section `npm run bench:real` writes. */
export const REAL_ENGINE_SECTION = "real-engine";

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
