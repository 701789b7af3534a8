import { createHash } from "crypto";

/**
 * A namespace's Secret's logical name. It is built from the component's name
 * and the namespace and nothing else, so that adding, removing or reordering
 * other namespaces never renames (and so never replaces) a namespace's
 * Secret.
 */
export function childName(component: string, namespace: string): string {
    return `${component}/${namespace}`;
}

/**
 * The API server refuses a field manager longer than this many bytes (of
 * UTF-8, not characters: Go's len) or holding a character that is not
 * printable (k8s.io/apimachinery ValidateFieldManager).
 */
export const MAX_FIELD_MANAGER_BYTES = 128;

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u;

/** Whether the API server would take this field manager. */
export function isFieldManager(value: unknown): boolean {
    return (
        typeof value === "string" &&
        value.length > 0 &&
        Buffer.byteLength(value) <= MAX_FIELD_MANAGER_BYTES &&
        PRINTABLE.test(value)
    );
}

/**
 * The default field manager: recognisable in a conflict error or in
 * `kubectl get -o yaml --show-managed-fields`, and stable for as long as the
 * project, stack and component keep their names. A name the API server would
 * refuse keeps as much of its start as fits (whole characters, unprintable
 * ones replaced by `_`) and ends with a hash of the whole.
 */
export function defaultFieldManager(project: string, stack: string, component: string): string {
    const name = `regcred/${project}/${stack}/${component}`;
    if (isFieldManager(name)) {
        return name;
    }
    const hash = createHash("sha256").update(name).digest("hex").slice(0, 12);
    let start = "";
    for (const character of name) {
        const printable = PRINTABLE.test(character) ? character : "_";
        if (Buffer.byteLength(start + printable) > MAX_FIELD_MANAGER_BYTES - hash.length - 1) {
            break;
        }
        start += printable;
    }
    return `${start}-${hash}`;
}

/**
 * The admission policy's and binding's name: cluster-scoped, so it names the
 * project, stack and component (lowercased to a DNS-1123 subdomain), and a
 * hash of them keeps two whose names differ only in case or punctuation
 * apart.
 */
export function admissionPolicyName(project: string, stack: string, component: string): string {
    const hash = createHash("sha256").update(`${project}/${stack}/${component}`).digest("hex").slice(0, 8);
    const readable = `regcred.${project}.${stack}.${component}`
        .toLowerCase()
        .replace(/[^a-z0-9.-]+/g, "-")
        .replace(/\.[-.]*|[-.]*\./g, ".")
        .replace(/^[-.]+|[-.]+$/g, "")
        .slice(0, 200);
    return `${readable}.${hash}`.replace(/^[-.]+/, "");
}
