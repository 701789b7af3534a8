/**
 * "Did you mean": the known name nearest to a misspelt one. The component
 * uses it for its argument names, the stack config for its keys.
 */

/**
 * The known key nearest to a misspelt one, if it is near enough to be a
 * slip rather than a different word: at most a third of its letters edited
 * (and at least two allowed), ignoring case.
 */
export function closest(key: string, known: readonly string[]): string | undefined {
    let best: { name: string; distance: number } | undefined;
    for (const name of known) {
        const distance = editDistance(key.toLowerCase(), name.toLowerCase());
        if (best === undefined || distance < best.distance) {
            best = { name, distance };
        }
    }
    const allowed = Math.max(2, Math.floor(key.length / 3));
    return best !== undefined && best.distance <= allowed ? best.name : undefined;
}

/** Levenshtein distance: the fewest single-character insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
            );
        }
        previous = current;
    }
    return previous[b.length];
}
