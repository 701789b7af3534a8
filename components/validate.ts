import * as pulumi from "@pulumi/pulumi";
import { RegistryCredentialsArgs, RegistryLogin } from "./args";
import { DOCKER_HUB_SERVER } from "./dockerConfig";
import { MAX_FIELD_MANAGER_LENGTH } from "./names";

/** One thing wrong with the arguments: where, and why. */
export interface Problem {
    readonly propertyPath: string;
    readonly reason: string;
}

/**
 * Stands for a value given as an Output or a Promise, which is checked once
 * it is known, with the same messages.
 */
export const DEFERRED: unique symbol = Symbol("deferred");
type Checkable = string | undefined | typeof DEFERRED | unknown;

/** A login whose values are known, or {@link DEFERRED}. */
export interface LoginValues {
    readonly server?: Checkable;
    readonly username?: Checkable;
    readonly password?: Checkable;
    readonly email?: Checkable;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_RULE = "a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters";
const SUBDOMAIN_RULE = "a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters";

/**
 * Checks everything that is known when the component is declared and
 * returns every problem, so that one run reports them all. Exported for
 * testing.
 */
export function validateArgs(componentName: string, args: RegistryCredentialsArgs): Problem[] {
    const problems: Problem[] = [];
    const report = (propertyPath: string, reason: string) => problems.push({ propertyPath, reason });

    const secretName = args.secretName ?? componentName;
    const secretPath = args.secretName === undefined ? "secretName (defaults to the component's name)" : "secretName";
    if (!isDnsSubdomain(secretName)) {
        report(secretPath, `${show(secretName)} is not a valid Secret name: it must be ${SUBDOMAIN_RULE}`);
    }

    checkCredentialSource(args, report);
    if (args.registries !== undefined) {
        problems.push(...loginProblems(args.registries.map(knownValues)));
    }
    if (typeof args.dockerConfigJson === "string") {
        problems.push(...dockerConfigProblems(args.dockerConfigJson));
    }

    checkNamespaces(args.namespaces, report);
    checkNames(args.serviceAccounts, "serviceAccounts", "service account", report);
    checkKeptEntries(args.keepImagePullSecrets, "keepImagePullSecrets", secretName, report);
    if (args.fieldManager !== undefined && !isFieldManager(args.fieldManager)) {
        report("fieldManager", `${show(args.fieldManager)} is not a valid field manager: it must be 1 to ${MAX_FIELD_MANAGER_LENGTH} printable ASCII characters`);
    }
    (args.namespaces ?? []).forEach((target, i) => {
        if (typeof target === "object" && target !== null) {
            const path = `namespaces[${i}]`;
            checkNames(target.serviceAccounts, `${path}.serviceAccounts`, "service account", report);
            checkKeptEntries(target.keepImagePullSecrets, `${path}.keepImagePullSecrets`, secretName, report);
        }
    });
    return problems;
}

function checkCredentialSource(args: RegistryCredentialsArgs, report: (path: string, reason: string) => void) {
    const hasRegistries = args.registries !== undefined;
    const hasConfig = args.dockerConfigJson !== undefined;
    if (hasRegistries === hasConfig) {
        report(
            "registries",
            hasRegistries
                ? "give either registries or dockerConfigJson, not both"
                : "give the credentials: either registries (server, username, password) or dockerConfigJson (the contents of a docker config.json)",
        );
    } else if (hasRegistries && (!Array.isArray(args.registries) || args.registries.length === 0)) {
        report("registries", "must list at least one registry login");
    }
}

function checkNamespaces(namespaces: RegistryCredentialsArgs["namespaces"], report: (path: string, reason: string) => void) {
    if (!Array.isArray(namespaces) || namespaces.length === 0) {
        report("namespaces", "must list at least one namespace");
        return;
    }
    const seen = new Map<string, number>();
    namespaces.forEach((target, i) => {
        const isObject = typeof target === "object" && target !== null;
        const name: unknown = isObject ? target.name : target;
        const path = isObject ? `namespaces[${i}].name` : `namespaces[${i}]`;
        if (!isDnsLabel(name)) {
            report(path, `${show(name)} is not a valid namespace name: it must be ${LABEL_RULE}`);
            return;
        }
        const first = seen.get(name);
        if (first !== undefined) {
            report(path, `namespace ${show(name)} is listed twice (also at namespaces[${first}])`);
        }
        seen.set(name, first ?? i);
    });
}

function checkNames(names: unknown, path: string, what: string, report: (path: string, reason: string) => void) {
    if (names === undefined) {
        return;
    }
    if (!Array.isArray(names)) {
        report(path, `must be a list of ${what} names, not ${show(names)}`);
        return;
    }
    const seen = new Map<string, number>();
    names.forEach((name: unknown, i) => {
        if (!isDnsLabel(name)) {
            report(`${path}[${i}]`, `${show(name)} is not a valid ${what} name: it must be ${LABEL_RULE}`);
            return;
        }
        const first = seen.get(name);
        if (first !== undefined) {
            report(`${path}[${i}]`, `${what} ${show(name)} is listed twice (also at ${path}[${first}])`);
        }
        seen.set(name, first ?? i);
    });
}

function checkKeptEntries(names: unknown, path: string, secretName: string, report: (path: string, reason: string) => void) {
    if (names === undefined) {
        return;
    }
    if (!Array.isArray(names)) {
        report(path, `must be a list of Secret names, not ${show(names)}`);
        return;
    }
    const seen = new Map<string, number>();
    names.forEach((name: unknown, i) => {
        const entryPath = `${path}[${i}]`;
        if (!isDnsSubdomain(name)) {
            report(entryPath, `${show(name)} is not a valid Secret name: it must be ${SUBDOMAIN_RULE}`);
        } else if (name === secretName) {
            report(entryPath, `${show(name)} is this component's own secret, which is always added; list only other entries`);
        } else if (seen.has(name)) {
            report(entryPath, `${show(name)} is listed twice (also at ${path}[${seen.get(name)}])`);
        } else {
            seen.set(name, i);
        }
    });
}

/**
 * Checks logins whose values may not all be known yet; a {@link DEFERRED}
 * value is skipped here and checked again once it is known. No message
 * contains a password.
 */
export function loginProblems(logins: readonly LoginValues[]): Problem[] {
    const problems: Problem[] = [];
    const seen = new Map<string, number>();
    logins.forEach((login, i) => {
        const path = `registries[${i}]`;
        const report = (field: string, reason: string) => problems.push({ propertyPath: `${path}.${field}`, reason });
        if (typeof login !== "object" || login === null) {
            problems.push({ propertyPath: path, reason: "must be an object with username and password" });
            return;
        }
        const { server, username, password, email } = login;

        if (server !== DEFERRED) {
            if (server !== undefined && !isNonBlankString(server)) {
                report("server", `${show(server)} is not a registry address; leave server out for Docker Hub (${DOCKER_HUB_SERVER})`);
            } else {
                const key = server ?? DOCKER_HUB_SERVER;
                const first = seen.get(key);
                if (first !== undefined) {
                    const shown = key === DOCKER_HUB_SERVER ? `${show(key)} (Docker Hub)` : show(key);
                    report("server", `registry ${shown} is listed twice (also at registries[${first}]); one secret holds one login per registry`);
                }
                seen.set(key, first ?? i);
            }
        }
        if (username !== DEFERRED) {
            if (!isNonBlankString(username)) {
                report("username", `must not be empty (got ${show(username)})`);
            } else if (username.includes(":")) {
                report("username", `${show(username)} contains ':', but the kubelet splits the auth token at its first ':', so the registry would see a different user name`);
            }
        }
        if (password !== DEFERRED && (typeof password !== "string" || password.length === 0)) {
            report("password", typeof password === "string" || password === undefined ? "must not be empty" : "must be a string");
        }
        if (email !== DEFERRED && email !== undefined && typeof email !== "string") {
            report("email", `must be a string (got ${show(email)})`);
        }
    });
    return problems;
}

/** What a login's values are now: plain values as they are, Outputs and Promises deferred. */
export function knownValues(login: RegistryLogin): LoginValues {
    if (typeof login !== "object" || login === null) {
        return login; // loginProblems reports it
    }
    return {
        server: known(login.server),
        username: known(login.username),
        password: known(login.password),
        email: known(login.email),
    };
}

function known(value: pulumi.Input<string> | undefined): Checkable {
    return pulumi.Output.isInstance(value) || value instanceof Promise ? DEFERRED : value;
}

const NO_INLINE_CREDENTIALS =
    "the kubelet reads only inline credentials (auth, or username and password). " +
    "To get a config that holds them, log in with a fresh docker config, which has no credential store: " +
    "DOCKER_CONFIG=$(mktemp -d) docker login <registry>, then use $DOCKER_CONFIG/config.json; " +
    "or pass registries instead of dockerConfigJson";

/**
 * Checks the contents of a docker config.json. Messages name the registry
 * keys and fields but never quote the config, which holds credentials.
 */
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
        return problem("dockerConfigJson", "is not valid JSON; pass the contents of a docker config.json, such as ~/.docker/config.json");
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
        return problem("dockerConfigJson.auths", `is empty${store ? `: the credentials are in ${store}` : ""}; ${NO_INLINE_CREDENTIALS}`);
    }
    const store = credentialStore(config);
    return servers.flatMap((server) => {
        const reason = entryProblem(auths[server]);
        return reason === undefined
            ? []
            : problem(`dockerConfigJson.auths[${JSON.stringify(server)}]`, store ? `${reason}: the credentials are in ${store}; ${NO_INLINE_CREDENTIALS}` : `${reason}; ${NO_INLINE_CREDENTIALS}`);
    });
}

function entryProblem(entry: unknown): string | undefined {
    if (!isPlainObject(entry)) {
        return "is not an object";
    }
    if (isNonBlankString(entry.auth)) {
        const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
        const colon = decoded.indexOf(":");
        return colon > 0 && colon < decoded.length - 1 ? undefined : `has an "auth" that is not the base64 of "username:password"`;
    }
    if (isNonBlankString(entry.username) && isNonBlankString(entry.password)) {
        return undefined;
    }
    if (entry.identitytoken !== undefined || entry.registrytoken !== undefined) {
        return "holds only an identity or registry token, which the kubelet ignores";
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

/**
 * The error for a list of problems: its message lists them all, for a
 * program run by hand, and `errors` carries them for the Pulumi engine.
 */
export function invalidArgsError(componentName: string, problems: readonly Problem[]): pulumi.InputPropertiesError {
    const count = problems.length === 1 ? "an invalid input" : `${problems.length} invalid inputs`;
    const lines = problems.map((p) => `  - ${p.propertyPath}: ${p.reason}`);
    return new pulumi.InputPropertiesError({
        message: `RegistryCredentials ${JSON.stringify(componentName)} has ${count}:\n${lines.join("\n")}`,
        errors: problems.map((p) => ({ propertyPath: p.propertyPath, reason: p.reason })),
    });
}

function isDnsLabel(value: unknown): value is string {
    return typeof value === "string" && value.length <= 63 && DNS1123_LABEL.test(value);
}

function isDnsSubdomain(value: unknown): value is string {
    return typeof value === "string" && value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

function isFieldManager(value: unknown): boolean {
    return typeof value === "string" && value.length > 0 && value.length <= MAX_FIELD_MANAGER_LENGTH && /^[\x20-\x7e]+$/.test(value);
}

function isNonBlankString(value: unknown): value is string {
    return typeof value === "string" && value.trim().length > 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A value as it appears in a message: quoted, so that blanks and odd characters show. */
function show(value: unknown): string {
    return value === undefined ? "nothing" : JSON.stringify(value) ?? String(value);
}
