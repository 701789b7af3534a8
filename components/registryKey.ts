/**
 * How the kubelet files an `auths` entry: the key it matches images against.
 *
 * The kubelet (k8s.io/kubernetes pkg/credentialprovider, BasicDockerKeyring.Add)
 * puts `https://` in front of a server that has no `http://` or `https://`,
 * parses it with Go's net/url, and keys the entry by the host, plus the path
 * unless the path is empty, `/`, or `/v1/` or `/v2/` with nothing after it
 * (a leading `/v1` or `/v2` is dropped from longer paths). So `ghcr.io`,
 * `ghcr.io/` and `https://ghcr.io` are one registry to it, and two logins
 * for them in one Secret would leave it to pick one. A server Go cannot
 * parse is skipped with a log line nobody reads, so we refuse it instead.
 *
 * This follows Go's url.Parse as far as registry addresses go, and refuses a
 * little more: servers whose key no image reference could ever match
 * (blanks, a scheme glued to the host, no host). test/e2e/kubeletParity.e2e.ts
 * checks it against the kubelet's own code.
 */

/** The host the kubelet uses for images without a registry (`nginx`, `library/nginx`, `docker.io/...`). */
export const DOCKER_HUB_KEY = "index.docker.io";

/** A server's kubelet key, or why the kubelet would not use it. */
export type KeyResult = { readonly key: string } | { readonly problem: string };

// Characters Go's url.Parse accepts in a host name without escaping (net/url shouldEscape, encodeHost).
const HOST_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:[\]<>"\u0080-\uffff]*$/;
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f]/;

export function kubeletKey(server: string): KeyResult {
    if (CONTROL.test(server)) {
        return {
            problem:
                "contains a control character (a tab or a line break, say), so the kubelet cannot parse it and ignores the login",
        };
    }
    if (/\s/.test(server)) {
        return {
            problem:
                "contains blanks (check for spaces around it); no image reference has blanks, so the kubelet would never use this login",
        };
    }
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(server)?.[0];
    if (scheme !== undefined && scheme !== "https://" && scheme !== "http://") {
        return {
            problem: `starts with ${JSON.stringify(scheme)}; write the registry's host (and path), optionally after https://`,
        };
    }
    const url = scheme === undefined ? `https://${server}` : server;
    const rest = url
        .slice(url.indexOf("://") + 3)
        .split("#")[0]
        .split("?")[0];
    const slash = rest.indexOf("/");
    const authority = slash === -1 ? rest : rest.slice(0, slash);
    const rawPath = slash === -1 ? "" : rest.slice(slash);

    if (authority.includes("@")) {
        return { problem: "holds a user name (user@host); give the user name in username, and only the host here" };
    }
    const hostProblem = checkHost(authority);
    if (hostProblem !== undefined) {
        return { problem: hostProblem };
    }
    const path = unescapePath(rawPath);
    if (path === undefined) {
        return {
            problem:
                "has a '%' that is not followed by two hex digits, so the kubelet cannot parse it and ignores the login",
        };
    }
    const effectivePath = path.startsWith("/v2/") || path.startsWith("/v1/") ? path.slice(3) : path;
    return { key: effectivePath.length > 0 && effectivePath !== "/" ? authority + effectivePath : authority };
}

function checkHost(host: string): string | undefined {
    // host:port, or an IPv6 literal [::1]:5000, in which Go checks only the brackets and the port.
    let hostname = host;
    let port = "";
    if (host.startsWith("[")) {
        const close = host.indexOf("]");
        if (close === -1) {
            return "has a '[' with no ']'; write an IPv6 address as [address]:port";
        }
        [hostname, port] = [host.slice(0, close + 1), host.slice(close + 1)];
    } else if (host.includes(":")) {
        [hostname, port] = [host.slice(0, host.lastIndexOf(":")), host.slice(host.lastIndexOf(":"))];
    }
    if (hostname === "") {
        return "has no host name";
    }
    if (!host.startsWith("[") && hostname.includes(":")) {
        return `has an invalid port ${JSON.stringify(host.slice(host.indexOf(":") + 1))}; write host:port with a number`;
    }
    if (port !== "" && !/^:\d*$/.test(port)) {
        return `has an invalid port ${JSON.stringify(port.slice(1))}; write host:port with a number`;
    }
    if (!HOST_CHARS.test(hostname)) {
        return "has characters that are not allowed in a host name, so the kubelet cannot parse it and ignores the login";
    }
    return undefined;
}

/** Go's path unescaping: `%XX` becomes the byte; a `%` without two hex digits is an error. */
function unescapePath(path: string): string | undefined {
    if (/%(?![0-9A-Fa-f]{2})/.test(path)) {
        return undefined;
    }
    try {
        return decodeURIComponent(path);
    } catch {
        // Escapes that are not UTF-8: Go keeps the bytes; the key only needs to be stable.
        return path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    }
}

/**
 * An image reference as the kubelet looks it up in its keyring: its
 * repository without tag or digest, normalized as the container runtime
 * names it (distribution's reference rules): `nginx` is
 * `docker.io/library/nginx`, `acme/web` is `docker.io/acme/web`, and
 * `index.docker.io/...` is `docker.io/...`.
 */
export function imageRepository(image: string): string {
    const withoutDigest = image.split("@")[0];
    const lastSlash = withoutDigest.lastIndexOf("/");
    const colon = withoutDigest.lastIndexOf(":");
    const name = colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
    const slash = name.indexOf("/");
    const first = slash === -1 ? "" : name.slice(0, slash);
    const hasDomain = slash !== -1 && (/[.:]/.test(first) || first === "localhost" || first !== first.toLowerCase());
    if (!hasDomain) {
        return `docker.io/${slash === -1 ? `library/${name}` : name}`;
    }
    return first === "index.docker.io" ? `docker.io${name.slice(slash)}` : name;
}

/**
 * The kubelet's keyring lookup (pkg/credentialprovider, BasicDockerKeyring.Lookup):
 * the keys, as {@link kubeletKey} gives them, whose entries it would try for
 * an image repository ({@link imageRepository}). A key matches when it has
 * the same port and the same number of dot-separated host parts as the
 * image, each part matching as a glob (`*` within a part), and its path is
 * a prefix of the image's. When no key matches and the image is Docker
 * Hub's, Docker Hub's own key does. test/e2e/kubeletParity.e2e.ts checks
 * this against the kubelet's code.
 */
export function matchingKeys(keys: readonly string[], repository: string): string[] {
    const target = splitReference(repository);
    const matched = keys.filter((key) => {
        const rule = splitReference(key);
        return (
            rule.port === target.port &&
            rule.parts.length === target.parts.length &&
            target.path.startsWith(rule.path) &&
            rule.parts.every((part, j) => globMatches(part, target.parts[j]))
        );
    });
    if (matched.length > 0) {
        return matched;
    }
    const first = repository.split("/")[0];
    const hubImage =
        !repository.includes("/") || first === "docker.io" || first === DOCKER_HUB_KEY || !/[.:]/.test(first);
    return hubImage ? keys.filter((key) => key === DOCKER_HUB_KEY) : [];
}

function splitReference(reference: string): { parts: string[]; port: string; path: string } {
    const slash = reference.indexOf("/");
    const host = slash === -1 ? reference : reference.slice(0, slash);
    const colon = host.lastIndexOf(":");
    return {
        parts: (colon === -1 ? host : host.slice(0, colon)).split("."),
        port: colon === -1 ? "" : host.slice(colon + 1),
        path: slash === -1 ? "" : reference.slice(slash),
    };
}

/** Go's filepath.Match on one host part: `*` and `?` within the part, case-sensitively. */
function globMatches(pattern: string, part: string): boolean {
    return new RegExp(
        `^${pattern
            .replace(/[.+^${}()|[\]\\]/g, "\\$&")
            .replace(/\*/g, ".*")
            .replace(/\?/g, ".")}$`,
    ).test(part);
}
