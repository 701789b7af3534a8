/**
 * How `.dockerconfigjson` is built: byte for byte what
 * `kubectl create secret docker-registry` writes for the same credentials, so
 * that a Secret first made with kubectl can be adopted without a data change;
 * and how an entry's `auth` is read back.
 */

/** Docker Hub's key in a docker config, and kubectl's default `--docker-server`. */
export const DOCKER_HUB_SERVER = "https://index.docker.io/v1/";

/** One registry login with every value known. */
export interface ResolvedLogin {
    /** The registry's key in `auths`, as given: kubectl's `--docker-server`. */
    readonly server: string;
    /** The user name. */
    readonly username: string;
    /** The password or access token. */
    readonly password: string;
    /** An e-mail address; left out of the entry when empty. */
    readonly email?: string;
}

/**
 * Encodes logins as kubectl does: compact JSON, entry keys in the order
 * `username, password, email, auth`, `email` left out when empty, and
 * `auth` = base64(`username:password`). kubectl marshals a Go map, and Go
 * sorts map keys by their bytes, so several servers come out in that order
 * whatever order the caller listed them in.
 */
export function encodeDockerConfig(logins: readonly ResolvedLogin[]): string {
    const entries = [...logins]
        .sort((a, b) => Buffer.compare(Buffer.from(a.server), Buffer.from(b.server)))
        .map((login) => `${goJsonString(login.server)}:${encodeEntry(login)}`);
    return `{"auths":{${entries.join(",")}}}`;
}

/**
 * An `auth` value read as the kubelet reads it: base64 of `username:password`,
 * split at the first ':'. Undefined when there is no user name before it.
 * Callers that need a password check it is not empty.
 */
export function decodeAuth(auth: string): { username: string; password: string } | undefined {
    const decoded = Buffer.from(auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon > 0 ? { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) } : undefined;
}

function encodeEntry({ username, password, email }: ResolvedLogin): string {
    const fields = [`"username":${goJsonString(username)}`, `"password":${goJsonString(password)}`];
    if (email) {
        fields.push(`"email":${goJsonString(email)}`);
    }
    fields.push(`"auth":"${Buffer.from(`${username}:${password}`).toString("base64")}"`);
    return `{${fields.join(",")}}`;
}

// Go's encoding/json escapes more than JSON.stringify does. It writes `<`, `>`
// and `&` as \u003c, \u003e and \u0026 so that JSON can sit inside HTML, and
// U+2028 and U+2029 as \u2028 and \u2029 because JavaScript once treated them
// as line ends. Since Go 1.22 it writes \b and \f short, as kubectl built with
// any current Go does; every other control character becomes \u00XX.
const SHORT_ESCAPES: Readonly<Record<string, string>> = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
};
// eslint-disable-next-line no-control-regex -- control characters are exactly what Go escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029]/g;

/** A JSON string literal exactly as Go's `json.Marshal` writes it. */
export function goJsonString(value: string): string {
    const escaped = value.replace(
        NEEDS_ESCAPE,
        (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
    return `"${escaped}"`;
}
