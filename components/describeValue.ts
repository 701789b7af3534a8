/**
 * How a caller's value appears in an error message. Two rules: a value
 * that may be a credential is shown only by its kind (`kindOf`); any other
 * is quoted, so that blanks and odd characters show (`describe`, `show`).
 */

/** Whether a value is an object with keys, not a list and not null. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What kind of value it is, never the value: for values that may be credentials. */
export function kindOf(value: unknown): string {
    return Array.isArray(value)
        ? "a list"
        : value === null
          ? "null"
          : `a ${typeof value === "object" ? "map" : typeof value}`;
}

/** A value that is not a credential, as a message shows it, with its kind where that is the problem. */
export function describe(value: unknown): string {
    if (typeof value === "string") {
        return `${show(value)} (a string)`;
    }
    return Array.isArray(value) || isPlainObject(value) ? kindOf(value) : show(value);
}

/** A value as a message quotes it. */
export function show(value: unknown): string {
    return value === undefined ? "nothing" : (JSON.stringify(value) ?? String(value));
}
