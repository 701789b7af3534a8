/**
 * A docker config.json whose credentials live in a credential store
 * (`credsStore`, as Docker Desktop sets up) or in per-registry helpers
 * (`credHelpers`), made into one that holds them inline, as the kubelet
 * needs. Each login is asked of its helper with docker's credential-helper
 * protocol: `docker-credential-<name> get`, the server on stdin, and
 * `{"ServerURL","Username","Secret"}` on stdout.
 *
 * Messages name servers and helpers, never what a helper returned.
 */
import { spawnSync } from "child_process";
import { decodeAuth, encodeDockerConfig, isPlainObject } from "../components";

/** Runs a helper: `docker-credential-<name> <action>` with `input` on stdin. */
export type RunHelper = (
    name: string,
    action: "get" | "list",
    input: string,
) => { status: number | null; stdout: string; stderr: string; missing?: boolean };

/** The real helpers, found on PATH as docker finds them. */
export const runHelper: RunHelper = (name, action, input) => {
    const result = spawnSync(`docker-credential-${name}`, [action], { input, encoding: "utf8", timeout: 60_000 });
    const missing = (result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
    return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "", missing };
};

/** The config with every login inline, or why it cannot be had; undefined when the file needs no helper. */
export function resolveCredentialHelpers(
    text: string,
    run: RunHelper = runHelper,
): { text: string } | { problem: string } | undefined {
    let config: { auths?: Record<string, unknown>; credsStore?: unknown; credHelpers?: Record<string, unknown> };
    try {
        config = JSON.parse(text);
    } catch {
        return undefined; // the component reports it, without quoting it
    }
    const store = typeof config.credsStore === "string" ? config.credsStore : undefined;
    const helpers = isStringMap(config.credHelpers) ? config.credHelpers : {};
    if (store === undefined && Object.keys(helpers).length === 0) {
        return undefined;
    }

    const auths = isPlainObject(config.auths) ? config.auths : {};
    const servers = new Set([...Object.keys(auths), ...Object.keys(helpers)]);
    if (servers.size === 0 && store !== undefined) {
        const listed = run(store, "list", "");
        if (listed.missing || listed.status !== 0) {
            return { problem: helperFailure(store, "list", listed) };
        }
        Object.keys(parseObject(listed.stdout) ?? {}).forEach((server) => servers.add(server));
    }

    const logins = [];
    for (const server of [...servers].sort()) {
        const inline = inlineLogin(auths[server]);
        if (inline !== undefined) {
            logins.push({ server, ...inline });
            continue;
        }
        const helper = (helpers[server] as string | undefined) ?? store;
        if (helper === undefined) {
            return {
                problem: `the entry for ${JSON.stringify(server)} holds no credentials, and no credential store or helper covers it`,
            };
        }
        const got = run(helper, "get", server);
        if (got.missing || got.status !== 0) {
            return { problem: helperFailure(helper, "get", got, server) };
        }
        const answer = parseObject(got.stdout);
        if (typeof answer?.Username !== "string" || typeof answer.Secret !== "string" || answer.Secret === "") {
            return {
                problem: `docker-credential-${helper} get gave no username and secret for ${JSON.stringify(server)}`,
            };
        }
        if (answer.Username === "<token>") {
            return {
                problem:
                    `docker-credential-${helper} holds an identity token for ${JSON.stringify(server)}, which the kubelet cannot use; ` +
                    "log in with a username and password or access token instead, or list the registry under registries",
            };
        }
        logins.push({ server, username: answer.Username, password: answer.Secret });
    }
    if (logins.length === 0) {
        return { problem: `the credential store "${store}" holds no logins` };
    }
    return { text: encodeDockerConfig(logins) };
}

function helperFailure(helper: string, action: string, result: ReturnType<RunHelper>, server?: string): string {
    const what = `docker-credential-${helper} ${action}${server === undefined ? "" : ` for ${JSON.stringify(server)}`}`;
    if (result.missing) {
        return `the credentials are in the credential helper "${helper}", but docker-credential-${helper} is not on PATH; install it, or run this where docker login was run`;
    }
    // The first line of its error, cut short: helpers say "credentials not found in native keychain" and the like.
    const said = result.stderr.trim().split("\n")[0]?.slice(0, 120);
    return `${what} failed (exit ${result.status})${said ? `: ${said}` : ""}; run \`docker login ${server ?? "<registry>"}\` first`;
}

/** An entry's inline login (auth, or username and password), if it has one. */
function inlineLogin(entry: unknown): { username: string; password: string } | undefined {
    const value = isPlainObject(entry) ? entry : {};
    if (typeof value.auth === "string" && value.auth !== "") {
        return decodeAuth(value.auth);
    }
    return typeof value.username === "string" &&
        value.username !== "" &&
        typeof value.password === "string" &&
        value.password !== ""
        ? { username: value.username, password: value.password }
        : undefined;
}

function parseObject(text: string): Record<string, unknown> | undefined {
    try {
        const value: unknown = JSON.parse(text);
        return isPlainObject(value) ? value : undefined;
    } catch {
        return undefined;
    }
}

function isStringMap(value: unknown): value is Record<string, string> {
    return isPlainObject(value) && Object.values(value).every((helper) => typeof helper === "string");
}
