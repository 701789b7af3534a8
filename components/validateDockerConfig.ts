/**
 * Checks the contents of a docker config.json (`dockerConfigJson`) for what
 * the kubelet can use: inline credentials in every `auths` entry. Messages
 * name the registry keys and fields but never quote the config, which holds
 * credentials.
 */
import { isPlainObject } from "./describeValue";
import { decodeAuth } from "./dockerConfig";
import { Problem } from "./problems";

const NO_INLINE_CREDENTIALS =
    "the kubelet reads only inline credentials (auth, or username and password) from each auths entry. " +
    "Pass registries (server, username, password) instead, or a config whose entries hold them: " +
    "docker login writes them into the file only where no credential store is set up (Docker Desktop sets one up)";

/** Every problem with a docker config's text. */
export function dockerConfigProblems(text: unknown): Problem[] {
    const problem = (propertyPath: string, reason: string): Problem[] => [{ propertyPath, reason }];
    if (typeof text !== "string") {
        return problem("dockerConfigJson", "must be the text of a docker config.json");
    }
    let config: unknown;
    try {
        config = JSON.parse(text);
    } catch {
        // JSON.parse's message quotes the text around the error, which may be a password.
        return problem(
            "dockerConfigJson",
            "is not valid JSON; pass the contents of a docker config.json, such as ~/.docker/config.json",
        );
    }
    if (!isPlainObject(config) || !isPlainObject(config.auths)) {
        const store = isPlainObject(config) ? credentialStore(config) : undefined;
        return problem(
            "dockerConfigJson",
            store
                ? `has no "auths" object: it points at ${store}, which keeps the credentials outside the file; ${NO_INLINE_CREDENTIALS}`
                : `has no "auths" object; a docker config.json looks like {"auths":{"<registry>":{"auth":"<base64 of user:password>"}}}`,
        );
    }
    const auths = config.auths;
    const servers = Object.keys(auths);
    if (servers.length === 0) {
        const store = credentialStore(config);
        return problem(
            "dockerConfigJson.auths",
            `is empty${store ? `: the credentials are in ${store}` : ""}; ${NO_INLINE_CREDENTIALS}`,
        );
    }
    const store = credentialStore(config);
    const problems = servers.flatMap((server) => {
        const reason = entryProblem(auths[server]);
        return reason === undefined
            ? []
            : problem(
                  `dockerConfigJson.auths[${JSON.stringify(server)}]`,
                  store ? `${reason}: the credentials are in ${store}` : reason,
              );
    });
    // The way out is the same for every entry: say it once.
    return problems.length === 0 ? [] : [...problems, ...problem("dockerConfigJson", NO_INLINE_CREDENTIALS)];
}

function entryProblem(entry: unknown): string | undefined {
    if (!isPlainObject(entry)) {
        return "is not an object";
    }
    if (isNonBlankString(entry.auth)) {
        // The kubelet decodes strictly (Go's base64.StdEncoding): no blanks, padding required.
        if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(entry.auth)) {
            return `has an "auth" that is not strict base64 (check for blanks or line breaks around it), so the kubelet cannot decode it`;
        }
        const login = decodeAuth(entry.auth);
        return login !== undefined && login.password !== ""
            ? undefined
            : `has an "auth" that is not the base64 of "username:password"`;
    }
    if (isNonBlankString(entry.username) && isNonBlankString(entry.password)) {
        return undefined;
    }
    if (entry.identitytoken !== undefined || entry.registrytoken !== undefined) {
        return (
            "holds an identity or registry token (as `az acr login` or a credential helper writes), which the docker client trades for an access token " +
            "and the kubelet cannot use; give a username and password instead, such as a registry token or a service principal's (for Azure: az acr token create)"
        );
    }
    return "holds no credentials";
}

function credentialStore(config: Record<string, unknown>): string | undefined {
    if (typeof config.credsStore === "string") {
        return `the credential store "credsStore": ${JSON.stringify(config.credsStore)} (as Docker Desktop sets up)`;
    }
    if (isPlainObject(config.credHelpers)) {
        return `credential helpers ("credHelpers")`;
    }
    return undefined;
}

function isNonBlankString(value: unknown): value is string {
    return typeof value === "string" && value.trim().length > 0;
}
