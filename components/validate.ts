import * as pulumi from "@pulumi/pulumi";
import { RegistryCredentialsArgs, RegistryLogin } from "./args";
import { closest } from "./closest";
import { DOCKER_HUB_SERVER } from "./dockerConfig";
import { MAX_FIELD_MANAGER_BYTES, isFieldManager } from "./names";
import { kubeletKey } from "./registryKey";

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

// The settings each object takes, for "did you mean" on a misspelt one: a
// JavaScript caller's typo would otherwise be dropped without a word.
const ARG_KEYS = [
    "registries", "dockerConfigJson", "namespaces", "serviceAccounts", "secretName", "keepImagePullSecrets", "takeOwnership", "fieldManager",
    "attach", "serviceAccountWaitSeconds", "verifyLogins",
];
const NAMESPACE_KEYS = ["name", "serviceAccounts", "keepImagePullSecrets", "takeOwnership"];
const LOGIN_KEYS = ["server", "username", "password", "email"];
const VERIFY_LOGINS_KEYS = ["repository", "unreachable", "ca"];
// The distribution spec's repository name: lowercase path components joined by '/'.
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

type Report = (path: string, reason: string) => void;

/**
 * Checks everything that is known when the component is declared and
 * returns every problem, so that one run reports them all. Exported for
 * testing.
 */
export function validateArgs(componentName: string, args: RegistryCredentialsArgs): Problem[] {
    const problems: Problem[] = [];
    const report: Report = (propertyPath, reason) => problems.push({ propertyPath, reason });
    if (!isPlainObject(args)) {
        report("args", `must be an object with registries (or dockerConfigJson) and namespaces, not ${describe(args)}`);
        return problems;
    }
    checkKeys(args, "", ARG_KEYS, report);

    const secretName = args.secretName ?? componentName;
    const secretPath = args.secretName === undefined ? "secretName (defaults to the component's name)" : "secretName";
    if (!isDnsSubdomain(secretName)) {
        report(secretPath, typeof secretName === "string" ? `${show(secretName)} is not a valid Secret name: it must be ${SUBDOMAIN_RULE}` : `must be a string, not ${describe(secretName)}`);
    }

    checkCredentialSource(args, report);
    if (Array.isArray(args.registries)) {
        problems.push(...loginProblems(args.registries.map(knownValues)));
    }
    if (args.dockerConfigJson !== undefined && known(args.dockerConfigJson) !== DEFERRED) {
        problems.push(...dockerConfigProblems(args.dockerConfigJson));
    }

    checkNamespaces(args.namespaces, report);
    checkNames(args.serviceAccounts, "serviceAccounts", report);
    checkKeptEntries(args.keepImagePullSecrets, "keepImagePullSecrets", secretName, report);
    checkBoolean(args.takeOwnership, "takeOwnership", report);
    problems.push(...verifyLoginsProblems(args.verifyLogins));
    if (args.fieldManager !== undefined && !isFieldManager(args.fieldManager)) {
        report(
            "fieldManager",
            typeof args.fieldManager === "string"
                ? `${show(args.fieldManager)} is not a valid field manager: it must be 1 to ${MAX_FIELD_MANAGER_BYTES} bytes of printable characters`
                : `must be a string, not ${describe(args.fieldManager)}`,
        );
    }
    checkAttach(args, report);
    const waitSeconds = args.serviceAccountWaitSeconds;
    if (waitSeconds !== undefined && !(typeof waitSeconds === "number" && Number.isFinite(waitSeconds) && waitSeconds >= 0 && waitSeconds <= MAX_WAIT_SECONDS)) {
        report("serviceAccountWaitSeconds", `must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}, not ${describe(waitSeconds)}`);
    }
    (Array.isArray(args.namespaces) ? args.namespaces : []).forEach((target, i) => {
        if (isPlainObject(target)) {
            const path = `namespaces[${i}]`;
            checkKeys(target, path, NAMESPACE_KEYS, report);
            if (args.attach === "admissionPolicy" && target.serviceAccounts !== undefined) {
                report(`${path}.serviceAccounts`, ADMISSION_WITHOUT_ACCOUNTS);
            }
            checkNames(target.serviceAccounts, `${path}.serviceAccounts`, report);
            checkKeptEntries(target.keepImagePullSecrets, `${path}.keepImagePullSecrets`, secretName, report);
            checkBoolean(target.takeOwnership, `${path}.takeOwnership`, report);
        }
    });
    return problems;
}

const ATTACH_MODES = ["serviceAccounts", "admissionPolicy"];
const MAX_WAIT_SECONDS = 3600;
const ADMISSION_WITHOUT_ACCOUNTS =
    'is not used with attach: "admissionPolicy", which touches no service account (the policy adds the Secret to every new Pod in the namespace): remove it, or leave attach at "serviceAccounts"';

/**
 * The way the Secret gets to Pods. In admission-policy mode a service
 * account list would be silently unused, so it is refused.
 */
function checkAttach(args: RegistryCredentialsArgs, report: Report) {
    if (args.attach !== undefined && !ATTACH_MODES.includes(args.attach as string)) {
        const suggestion = typeof args.attach === "string" ? closest(args.attach, ATTACH_MODES) : undefined;
        report("attach", `must be "serviceAccounts" or "admissionPolicy", not ${describe(args.attach)}${suggestion === undefined ? "" : `; did you mean "${suggestion}"?`}`);
    }
    if (args.attach === "admissionPolicy" && args.serviceAccounts !== undefined) {
        report("serviceAccounts", ADMISSION_WITHOUT_ACCOUNTS);
    }
}

/**
 * The shape of `verifyLogins` (verifyLogins.ts does the checking). The
 * messages never quote `ca`, which is long, but it holds no secret.
 * Exported for testing.
 */
export function verifyLoginsProblems(value: unknown): Problem[] {
    const problems: Problem[] = [];
    const report: Report = (propertyPath, reason) => problems.push({ propertyPath, reason });
    if (value === undefined || typeof value === "boolean") {
        return problems;
    }
    if (!isPlainObject(value)) {
        report("verifyLogins", `must be true, false or { repository?, unreachable?, ca? }, not ${JSON.stringify(value) ?? String(value)}`);
        return problems;
    }
    checkKeys(value, "verifyLogins", VERIFY_LOGINS_KEYS, report);
    const { repository, unreachable, ca } = value as Record<string, unknown>;
    const checkRepository = (path: string, name: unknown) => {
        if (!(typeof name === "string" && REPOSITORY.test(name))) {
            report(path, `${JSON.stringify(name) ?? String(name)} is not a repository name: lowercase path components joined by '/', as in team/app (no registry host, no tag)`);
        }
    };
    if (isPlainObject(repository)) {
        Object.entries(repository).forEach(([server, name]) => checkRepository(`verifyLogins.repository[${JSON.stringify(server)}]`, name));
    } else if (repository !== undefined) {
        checkRepository("verifyLogins.repository", repository);
    }
    if (unreachable !== undefined && unreachable !== "error" && unreachable !== "warn") {
        report("verifyLogins.unreachable", `must be "error" or "warn", not ${JSON.stringify(unreachable) ?? String(unreachable)}`);
    }
    if (ca !== undefined && (typeof ca !== "string" || !ca.includes("-----BEGIN CERTIFICATE-----"))) {
        report("verifyLogins.ca", "must be PEM text holding at least one -----BEGIN CERTIFICATE----- block");
    }
    return problems;
}

/** Settings an object does not take, with the one probably meant. */
function checkKeys(object: object, path: string, known: readonly string[], report: Report) {
    for (const key of Object.keys(object)) {
        if (!known.includes(key) && (object as Record<string, unknown>)[key] !== undefined) {
            const suggestion = closest(key, known);
            report(
                path === "" ? key : `${path}.${key}`,
                suggestion === undefined ? `is not a setting here; the settings are ${known.join(", ")}` : `is not a setting here; did you mean "${suggestion}"?`,
            );
        }
    }
}

/**
 * A flag that is not a boolean is refused rather than read as truthy: the
 * string "false" would otherwise read as true (in 0.1.0, taking another
 * writer's whole list).
 */
function checkBoolean(value: unknown, path: string, report: Report) {
    if (value !== undefined && typeof value !== "boolean") {
        report(path, `must be true or false, not ${describe(value)}`);
    }
}

function checkCredentialSource(args: RegistryCredentialsArgs, report: Report) {
    const hasRegistries = args.registries !== undefined;
    const hasConfig = args.dockerConfigJson !== undefined;
    if (hasRegistries === hasConfig) {
        report(
            "registries",
            hasRegistries
                ? "give either registries or dockerConfigJson, not both"
                : "give the credentials: either registries (server, username, password) or dockerConfigJson (the contents of a docker config.json)",
        );
    } else if (hasRegistries && !Array.isArray(args.registries)) {
        report("registries", `must be a list of registry logins ({ server, username, password }), not ${kindOf(args.registries)}`);
    } else if (hasRegistries && args.registries!.length === 0) {
        report("registries", "must list at least one registry login");
    }
}

function checkNamespaces(namespaces: unknown, report: Report) {
    if (namespaces === undefined) {
        report("namespaces", "is required: list the namespaces to put the pull secret in");
        return;
    }
    if (!Array.isArray(namespaces)) {
        report("namespaces", `must be a list of namespaces, not ${describe(namespaces)}${typeof namespaces === "string" ? `; for one namespace, write [${show(namespaces)}]` : ""}`);
        return;
    }
    if (namespaces.length === 0) {
        report("namespaces", "must list at least one namespace");
        return;
    }
    const seen = new Map<string, number>();
    namespaces.forEach((target: unknown, i) => {
        let name: unknown = target;
        let path = `namespaces[${i}]`;
        if (isPlainObject(target)) {
            name = target.name;
            path = `namespaces[${i}].name`;
            if (name === undefined) {
                report(path, 'is required: a namespace given as an object needs its name, as { name: "team-a", serviceAccounts: ["default"] }');
                return;
            }
        } else if (typeof target !== "string") {
            report(path, `must be a namespace name or an object { name, serviceAccounts?, keepImagePullSecrets?, takeOwnership? }, not ${describe(target)}`);
            return;
        }
        if (!isDnsLabel(name)) {
            report(path, typeof name === "string" ? `${show(name)} is not a valid namespace name: it must be ${LABEL_RULE}` : `must be a string, not ${describe(name)}`);
            return;
        }
        const first = seen.get(name);
        if (first !== undefined) {
            report(path, `namespace ${show(name)} is listed twice (also at namespaces[${first}])`);
        }
        seen.set(name, first ?? i);
    });
}

/** Service-account names: Kubernetes checks them as DNS-1123 subdomains, so dots are allowed. */
function checkNames(names: unknown, path: string, report: Report) {
    if (names === undefined) {
        return;
    }
    if (!Array.isArray(names)) {
        report(path, `must be a list of service account names, not ${describe(names)}`);
        return;
    }
    const seen = new Map<string, number>();
    names.forEach((name: unknown, i) => {
        if (!isDnsSubdomain(name)) {
            report(`${path}[${i}]`, typeof name === "string" ? `${show(name)} is not a valid service account name: it must be ${SUBDOMAIN_RULE}` : `must be a string, not ${describe(name)}`);
            return;
        }
        const first = seen.get(name);
        if (first !== undefined) {
            report(`${path}[${i}]`, `service account ${show(name)} is listed twice (also at ${path}[${first}])`);
        }
        seen.set(name, first ?? i);
    });
}

function checkKeptEntries(names: unknown, path: string, secretName: string, report: Report) {
    if (names === undefined) {
        return;
    }
    if (!Array.isArray(names)) {
        report(path, `must be a list of Secret names, not ${describe(names)}`);
        return;
    }
    const seen = new Map<string, number>();
    names.forEach((name: unknown, i) => {
        const entryPath = `${path}[${i}]`;
        if (!isDnsSubdomain(name)) {
            report(entryPath, typeof name === "string" ? `${show(name)} is not a valid Secret name: it must be ${SUBDOMAIN_RULE}` : `must be a string, not ${describe(name)}`);
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
    // Servers by the key the kubelet files them under, so that two spellings of one registry are caught.
    const seen = new Map<string, number>();
    logins.forEach((login, i) => {
        const path = `registries[${i}]`;
        const report = (field: string, reason: string) => problems.push({ propertyPath: `${path}.${field}`, reason });
        if (!isPlainObject(login)) {
            problems.push({ propertyPath: path, reason: `must be an object { server?, username, password, email? }, not ${kindOf(login)}` });
            return;
        }
        checkKeys(login, path, LOGIN_KEYS, (propertyPath, reason) => problems.push({ propertyPath, reason }));
        const { server, username, password, email } = login;

        if (server !== DEFERRED) {
            if (server !== undefined && typeof server !== "string") {
                report("server", `must be a string, not ${describe(server)}`);
            } else if (server !== undefined && server.trim() === "") {
                report("server", `is empty; leave server out for Docker Hub (${DOCKER_HUB_SERVER})`);
            } else {
                const result = kubeletKey(server ?? DOCKER_HUB_SERVER);
                if ("problem" in result) {
                    report("server", `${show(server)} ${result.problem}`);
                } else if (result.key === DOCKER_HUB_DOWNLOAD_HOST || result.key.startsWith(`${DOCKER_HUB_DOWNLOAD_HOST}/`)) {
                    report("server", `${show(server)} is the host Docker Hub serves images from, but the kubelet never matches it to a Docker Hub image; leave server out for Docker Hub (${DOCKER_HUB_SERVER})`);
                } else {
                    const first = seen.get(result.key);
                    if (first !== undefined) {
                        const which = server === undefined ? "Docker Hub (server left out)" : show(server);
                        report("server", `${which} is the same registry to the kubelet as registries[${first}] (both are filed under ${show(result.key)}); one secret holds one login per registry`);
                    }
                    seen.set(result.key, first ?? i);
                }
            }
        }
        // Never shown: a pasted "user:token" would show the token, and a username passed as a secret is a secret.
        if (username !== DEFERRED) {
            if (username === undefined) {
                report("username", "is required");
            } else if (typeof username !== "string") {
                report("username", `must be a string, not ${kindOf(username)}`);
            } else if (username.trim() === "") {
                report("username", "must not be empty");
            } else if (username.includes(":")) {
                report("username", "contains ':', but the kubelet splits the auth token at its first ':', so the registry would see a different user name (if you pasted user:token, put the token in password)");
            }
        }
        if (password !== DEFERRED) {
            if (password === undefined) {
                report("password", "is required");
            } else if (typeof password !== "string") {
                report("password", `must be a string, not ${kindOf(password)}`);
            } else if (password.length === 0) {
                report("password", "must not be empty");
            }
        }
        if (email !== DEFERRED && email !== undefined && typeof email !== "string") {
            report("email", `must be a string, not ${kindOf(email)}`);
        }
    });
    return problems;
}

/** What a login's values are now: plain values as they are, Outputs and Promises deferred. */
export function knownValues(login: RegistryLogin): LoginValues {
    if (!isPlainObject(login)) {
        return login; // loginProblems reports it
    }
    return Object.fromEntries(Object.entries(login).map(([key, value]) => [key, known(value)]));
}

function known(value: unknown): Checkable {
    return pulumi.Output.isInstance(value) || value instanceof Promise ? DEFERRED : value;
}

/** Docker Hub's download host: a key for it never matches an image, whose default host is index.docker.io. */
const DOCKER_HUB_DOWNLOAD_HOST = "registry-1.docker.io";

const NO_INLINE_CREDENTIALS =
    "the kubelet reads only inline credentials (auth, or username and password) from each auths entry. " +
    "Pass registries (server, username, password) instead, or a config whose entries hold them: " +
    "docker login writes them into the file only where no credential store is set up (Docker Desktop sets one up)";

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
    const problems = servers.flatMap((server) => {
        const reason = entryProblem(auths[server]);
        return reason === undefined ? [] : problem(`dockerConfigJson.auths[${JSON.stringify(server)}]`, store ? `${reason}: the credentials are in ${store}` : reason);
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
        const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
        const colon = decoded.indexOf(":");
        return colon > 0 && colon < decoded.length - 1 ? undefined : `has an "auth" that is not the base64 of "username:password"`;
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

function isNonBlankString(value: unknown): value is string {
    return typeof value === "string" && value.trim().length > 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What kind of value it is, for values that may be credentials. */
function kindOf(value: unknown): string {
    return Array.isArray(value) ? "a list" : value === null ? "null" : `a ${typeof value === "object" ? "map" : typeof value}`;
}

/** A value that is not a credential as it appears in a message, with its kind when that is the problem. */
function describe(value: unknown): string {
    if (typeof value === "string") {
        return `${show(value)} (a string)`;
    }
    return Array.isArray(value) || isPlainObject(value) ? kindOf(value) : show(value);
}

/** A value as it appears in a message: quoted, so that blanks and odd characters show. */
function show(value: unknown): string {
    return value === undefined ? "nothing" : JSON.stringify(value) ?? String(value);
}
