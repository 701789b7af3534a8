/**
 * verifyLogins: each login is tried against its registry before any Secret
 * is written, with the Docker Registry v2 auth flow a `docker login` (and the
 * kubelet's pull) uses, so that a wrong, expired or wrongly scoped token
 * fails the preview instead of turning into an ImagePullBackOff hours later.
 *
 * Node built-ins only (http, https): the component gains no dependency.
 */
import * as http from "http";
import * as tls from "tls";
import * as pulumi from "@pulumi/pulumi";
import { decodeAuth } from "./dockerConfig";
import { HttpAnswer, HttpRequestOptions, httpRequest } from "./httpRequest";
import { DOCKER_HUB_KEY, kubeletKey } from "./registryKey";

/** The settings of `verifyLogins` when it is given as an object. */
export interface VerifyLoginsOptions {
    /**
     * A repository the logins must be able to pull from, such as `team/app`:
     * the token is asked for with the scope `repository:<it>:pull`, and its
     * tag list is read with the login. A string applies to every login; a
     * map names one per server, keyed by the server as written in
     * `registries` (or in the config's `auths`). Defaults to none: only the
     * login itself is checked, at `/v2/`.
     */
    readonly repository?: string | Readonly<Record<string, string>>;
    /**
     * What a registry that cannot be reached (a refused connection, an
     * unknown host, a TLS failure, no answer in 10 s) does: `"error"` stops
     * the rollout, `"warn"` logs a warning and rolls out anyway. Defaults to
     * `"error"`. A registry that answers and refuses the login is always an error.
     */
    readonly unreachable?: "error" | "warn";
    /**
     * PEM certificates to trust, besides Node's own, for a registry whose
     * certificate a private CA signed (`NODE_EXTRA_CA_CERTS` works too).
     */
    readonly ca?: string;
}

/** `verifyLogins` as {@link RegistryCredentialsArgs} takes it. */
export type VerifyLoginsSetting = boolean | VerifyLoginsOptions;

/** One login as the Secret will hold it. */
export interface LoginToCheck {
    readonly server: string;
    readonly username: string;
    readonly password: string;
}

/** What checking one login found: nothing wrong, or what, and whether the registry could be reached at all. */
export type LoginCheck =
    { readonly ok: true } | { readonly ok: false; readonly unreachable: boolean; readonly reason: string };

const TIMEOUT_MS = 10_000;

/**
 * The config the Secrets get, once every login in it has passed its check.
 * Runs whenever the config is known, so during `pulumi preview` too; a
 * config that holds Outputs is checked at `up`, when they resolve.
 *
 * A failed check is logged as an error on the component, which fails the
 * preview or update with it, and the config becomes unknown, so that no
 * Secret is written with it (the same path as a late-invalid value: see
 * dockerConfigJson() in registryCredentials.ts for why it is not thrown).
 */
export function verifiedConfig(
    componentName: string,
    config: pulumi.Output<string>,
    setting: VerifyLoginsSetting | undefined,
    component: pulumi.Resource,
): pulumi.Output<string> {
    if (setting === undefined || setting === false) {
        return config;
    }
    const options: VerifyLoginsOptions = setting === true ? {} : setting;
    return config.apply(async (text) => {
        const logins = loginsOf(text);
        const results = await Promise.all(
            logins.map((login) => checkLogin(login, repositoryFor(login.server, options), options.ca)),
        );
        const failures = results.flatMap((result, i) => (result.ok ? [] : [{ ...result, server: logins[i].server }]));
        const stops = failures.filter((failure) => !failure.unreachable || options.unreachable !== "warn");
        for (const failure of failures.filter((f) => !stops.includes(f))) {
            void pulumi.log.warn(
                `RegistryCredentials ${JSON.stringify(componentName)}: rolling out a login that could not be checked (verifyLogins.unreachable is "warn"): ${JSON.stringify(failure.server)}: ${failure.reason}`,
                component,
            );
        }
        const unmatched =
            typeof options.repository === "object"
                ? Object.keys(options.repository).filter((server) => !logins.some((login) => login.server === server))
                : [];
        const lines = [
            ...stops.map((failure) => `  - ${JSON.stringify(failure.server)}: ${failure.reason}`),
            ...unmatched.map(
                (server) =>
                    `  - verifyLogins.repository: names the server ${JSON.stringify(server)}, which no login has; key it by the server as written in registries`,
            ),
        ];
        if (lines.length === 0) {
            return text;
        }
        void pulumi.log.error(
            `RegistryCredentials ${JSON.stringify(componentName)} wrote no Secret: verifyLogins found ${lines.length === 1 ? "a login that fails" : `${lines.length} problems`}:\n${lines.join("\n")}`,
            component,
        );
        return pulumi.unknown as unknown as string;
    });
}

function repositoryFor(server: string, options: VerifyLoginsOptions): string | undefined {
    return typeof options.repository === "object" ? options.repository[server] : options.repository;
}

/** The logins in a docker config that the component has already checked, as the kubelet reads them. */
function loginsOf(text: string): LoginToCheck[] {
    const auths: Record<string, { username?: string; password?: string; auth?: string }> = JSON.parse(text).auths;
    return Object.entries(auths).map(([server, entry]) => {
        if (!entry.auth) {
            return { server, username: entry.username ?? "", password: entry.password ?? "" };
        }
        // Where an entry has auth, the kubelet uses it over username and password.
        const login = decodeAuth(entry.auth);
        return { server, username: login?.username ?? "", password: login?.password ?? "" };
    });
}

/**
 * The base URL of a login's registry: https unless the server says http://,
 * at the host the kubelet files it under (any path is a matching rule, not
 * where the API lives). Docker Hub's API is at registry-1.docker.io.
 */
export function registryBase(server: string): string {
    const result = kubeletKey(server);
    const host = "key" in result ? result.key.split("/")[0] : server;
    const scheme = /^http:\/\//i.test(server) ? "http" : "https";
    return host === DOCKER_HUB_KEY || host === "docker.io" ? "https://registry-1.docker.io" : `${scheme}://${host}`;
}

/**
 * One login, through the Docker Registry v2 auth flow: GET /v2/ without
 * credentials to learn the challenge; for Basic, send the login; for Bearer,
 * trade the login at the challenge's realm for a token (with the
 * repository's pull scope when one is given); then GET /v2/ (or the
 * repository's tag list) with it. No reason ever holds the credentials.
 */
export async function checkLogin(login: LoginToCheck, repository?: string, ca?: string): Promise<LoginCheck> {
    const base = registryBase(login.server);
    const basic = `Basic ${Buffer.from(`${login.username}:${login.password}`).toString("base64")}`;
    const target = repository === undefined ? `${base}/v2/` : `${base}/v2/${repository}/tags/list`;
    try {
        const probe = await get(`${base}/v2/`, {}, ca);
        if (probe.status !== 200 && probe.status !== 401) {
            return refused(
                `GET ${base}/v2/ answered ${statusText(probe.status)}, where a registry answers 200 or 401; is this the registry's address?`,
            );
        }
        const challenge =
            probe.status === 401 ? parseChallenge(String(probe.headers["www-authenticate"] ?? "")) : undefined;
        let authorization = basic;
        if (challenge?.scheme === "bearer") {
            const realm = challenge.params.realm;
            if (realm === undefined || !/^https?:\/\//i.test(realm)) {
                return refused(`GET ${base}/v2/ asked for a Bearer token without a usable realm`);
            }
            const tokenUrl = new URL(realm);
            if (challenge.params.service !== undefined) tokenUrl.searchParams.set("service", challenge.params.service);
            if (repository !== undefined) tokenUrl.searchParams.set("scope", `repository:${repository}:pull`);
            const where = `${tokenUrl.origin}${tokenUrl.pathname}`;
            const token = await get(tokenUrl.toString(), { authorization: basic }, ca);
            if (token.status !== 200) {
                return refused(`the token service ${where} refused the login with ${statusText(token.status)}`);
            }
            const issued = tokenOf(token.body);
            if (issued === undefined) {
                return refused(`the token service ${where} answered 200 without a token`);
            }
            authorization = `Bearer ${issued}`;
        } else if (challenge !== undefined && challenge.scheme !== "basic") {
            return refused(
                `GET ${base}/v2/ asked for ${JSON.stringify(challenge.scheme)} authentication, which registries do not use (Basic or Bearer)`,
            );
        }
        const answer = await get(target, { authorization }, ca);
        if (answer.status === 200) {
            return { ok: true };
        }
        return refused(
            `GET ${target} with the ${challenge?.scheme === "bearer" ? "token" : "login"} answered ${statusText(answer.status)}${advice(answer.status, repository, challenge?.scheme === "bearer")}`,
        );
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        return {
            ok: false,
            unreachable: true,
            reason: `cannot reach ${base} (${code}); check the server's address, the network, and for a private CA verifyLogins.ca`,
        };
    }
}

function refused(reason: string): LoginCheck {
    return { ok: false, unreachable: false, reason };
}

function advice(status: number, repository: string | undefined, bearer: boolean): string {
    // A token service answers a scope the login lacks with a token that lacks it, so the refusal comes here.
    if (status === 401 && bearer && repository !== undefined)
        return `: the token the login got does not allow pulling from ${repository}`;
    if (status === 401) return ": the registry does not accept this username and password (wrong, expired or revoked?)";
    if (status === 403 || status === 404)
        return repository === undefined ? "" : `: the login may not pull from ${repository}, or it does not exist`;
    return "";
}

function statusText(status: number): string {
    return `HTTP ${status}${http.STATUS_CODES[status] ? ` ${http.STATUS_CODES[status]}` : ""}`;
}

/** A token service's answer: `token`, or OAuth's `access_token`. */
function tokenOf(body: string): string | undefined {
    try {
        const parsed = JSON.parse(body);
        const token = parsed.token ?? parsed.access_token;
        return typeof token === "string" && token !== "" ? token : undefined;
    } catch {
        return undefined;
    }
}

/** `WWW-Authenticate: Bearer realm="…",service="…"`: its scheme (lowercased) and parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } | undefined {
    const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
    if (match === null) {
        return undefined;
    }
    const params: Record<string, string> = {};
    for (const [, key, quoted, bare] of match[2].matchAll(/([A-Za-z]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
        params[key.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, "$1") : bare;
    }
    return { scheme: match[1].toLowerCase(), params };
}

/** One GET, redirects not followed, at most 1 MB of body kept, given up after 10 s. */
function get(url: string, headers: Record<string, string>, ca: string | undefined): Promise<HttpAnswer> {
    const parsed = new URL(url);
    const options: HttpRequestOptions = {
        method: "GET",
        headers: { ...headers, "user-agent": "pulumi-registry-credentials" },
        timeoutMs: TIMEOUT_MS,
        maxBodyChars: 1_000_000,
        // Node's own roots plus the given ones: `ca` alone would replace them.
        ...(ca !== undefined && parsed.protocol === "https:" ? { ca: [...tls.rootCertificates, ca] } : {}),
    };
    return httpRequest(parsed, options);
}
