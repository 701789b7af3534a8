/**
 * A stack's configuration: read from the values the Pulumi CLI hands the
 * program, checked with the component's own rules plus the ones only config
 * has (a missing key, a misspelt key, a password in plain text), and turned
 * into one RegistryCredentials rollout per cluster.
 *
 * Pure: the caller supplies the config values and a way to read the docker
 * config file, so the tests and `npm run render` run the very same checks
 * that `pulumi up` does.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    NamespaceTarget,
    Problem,
    RegistryCredentialsArgs,
    closest,
    describe,
    isPlainObject,
    kindOf,
    problemList,
    validateArgs,
} from "../components";

/** The config keys a stack may set, in the project's namespace, with what they do. */
export const STACK_KEYS = {
    namespaces: "the namespaces to put the pull secret in (required unless namespaceSelectors is set)",
    registries: "the registries to log in to: server, username and password (password set with --secret)",
    dockerConfigPath: "a docker config.json to copy instead of registries, e.g. ~/.docker/config.json",
    secretName: 'the Secret\'s name in every namespace (default "regcred")',
    clusters: "the kubeconfig contexts to roll out to (default: the current context)",
    serviceAccounts:
        'the service accounts whose imagePullSecrets get our entry in each namespace (default ["default"])',
    attach: 'how Pods get the Secret: "serviceAccounts" (default) or "admissionPolicy" (Kubernetes 1.36 and later)',
    serviceAccountWaitSeconds: "how long to wait for a listed service account that does not exist yet (default 60)",
    namespaceSelectors:
        "Kubernetes label selectors ({ matchLabels, matchExpressions }, ORed) choosing more namespaces, resolved at preview and up",
    excludeNamespaces: "namespaces the selectors never choose",
    allowEmptySelection: "whether selectors that match no namespace are fine (default false: an error)",
    maxRemovedShare: "the share of the namespaces one update may remove when selectors are set (default 0.25)",
    keepImagePullSecrets: "deprecated and ignored since 0.2.0 (other entries are always kept); goes in 1.0",
    takeOwnership: "deprecated and ignored since 0.2.0 (the list is never taken); goes in 1.0",
    verifyLogins:
        "try each login against its registry before writing any Secret: true, or { repository, unreachable, ca } (default false)",
} as const;

/** The Secret's name when the stack does not set `secretName`. */
export const DEFAULT_SECRET_NAME = "regcred";

/** What the Pulumi CLI hands a program: every config value as a string, and which keys hold secrets. */
export interface ConfigSource {
    readonly project: string;
    readonly stack: string;
    /** `"<namespace>:<key>"` to the value; lists and maps as JSON, as the CLI passes them. */
    readonly values: Readonly<Record<string, string>>;
    /** The keys whose value is (or contains) a secret; undefined when the CLI did not say. */
    readonly secretKeys?: ReadonlySet<string>;
    /**
     * Where the stack file holds each secure value (`registries[0].password`).
     * The CLI only says that a key holds some secret, which would let a
     * plain-text password pass beside a secure one.
     */
    readonly stackFile?: { readonly keys: ReadonlySet<string>; readonly securePaths: ReadonlySet<string> };
}

/** What reading a docker config file gave: its text, or why there is none. */
export type DockerConfigFile = { readonly text: string } | { readonly missing: string };

/** A target cluster: a kubeconfig context, or the current one. */
export interface Cluster {
    /** Names the cluster's provider and component; stable as long as the context keeps its name. */
    readonly key: string;
    /** The kubeconfig context; undefined means the current context. */
    readonly context?: string;
}

/** One cluster's rollout: what the program declares for it. */
export interface ClusterRollout {
    readonly cluster: Cluster;
    readonly componentName: string;
    readonly args: RegistryCredentialsArgs;
}

/** The resolved stack: one rollout per cluster, sharing the same arguments. */
export interface StackSettings {
    readonly rollouts: ClusterRollout[];
    /** The docker config file the credentials come from, when not from `registries`. */
    readonly dockerConfigPath?: string;
}

/** Every problem with a stack's config, as one error that `pulumi up` shows without a stack trace. */
export class StackConfigError extends pulumi.RunError {
    constructor(
        readonly stack: string,
        readonly problems: readonly Problem[],
    ) {
        super(formatProblems(stack, problems));
        this.name = "StackConfigError";
    }
}

/** The key that stands for the current kubeconfig context in resource names. */
export const CURRENT_CONTEXT_KEY = "current-context";

/**
 * Reads and checks a stack's config. Throws a {@link StackConfigError}
 * listing every problem, so that one run reports them all.
 */
export function resolveStack(
    source: ConfigSource,
    readDockerConfig: (path: string) => DockerConfigFile,
): StackSettings {
    const problems: Problem[] = [];
    const report = (key: string, reason: string) => problems.push({ propertyPath: `${source.project}:${key}`, reason });
    const ours = ownValues(source, report);
    const read = <T>(key: string, parse: (value: unknown) => T | undefined): T | undefined => {
        const text = ours[key];
        if (text === undefined) {
            return undefined;
        }
        return parse(parseValue(text));
    };

    const namespaces = read("namespaces", (value) => checkNamespaces(value, report));
    if (ours.namespaces === undefined && ours.namespaceSelectors === undefined) {
        report(
            "namespaces",
            `is not set. List the namespaces to put the pull secret in, under config: in stacks/Pulumi.${source.stack}.yaml:\n      ${source.project}:namespaces:\n        - team-a\n        - name: team-b\n          serviceAccounts: [default, ci]\n      or choose them by label:\n      ${source.project}:namespaceSelectors:\n        - matchLabels: { pull-secrets: ghcr }`,
        );
    }
    const registries = read("registries", (value) => checkRegistries(value, source, report));
    const dockerConfigPath = read("dockerConfigPath", (value) => stringOrReport(value, "dockerConfigPath", report));
    if (ours.registries === undefined && ours.dockerConfigPath === undefined) {
        report(
            "registries",
            `is not set, and neither is dockerConfigPath. Set one of them in stacks/Pulumi.${source.stack}.yaml: registries (server and username, and the password with \`pulumi config set --secret --path 'registries[0].password' --stack ${source.stack}\`), or dockerConfigPath (e.g. ~/.docker/config.json after \`docker login\`)`,
        );
    }
    const secretName =
        read("secretName", (value) => stringOrReport(value, "secretName", report)) ?? DEFAULT_SECRET_NAME;
    const clusters = read("clusters", (value) => checkClusters(value, report)) ?? [{ key: CURRENT_CONTEXT_KEY }];
    const serviceAccounts = read("serviceAccounts", (value) => value as string[]);
    // Deprecated: handed on as they are, for the component's one warning each.
    const keepImagePullSecrets = read("keepImagePullSecrets", (value) => value as string[]);
    const takeOwnership = read("takeOwnership", (value) => value as boolean);
    const attach = read("attach", (value) => value as RegistryCredentialsArgs["attach"]);
    // A number arrives as a string; anything else goes on as it is, for the component's message.
    const serviceAccountWaitSeconds = read("serviceAccountWaitSeconds", (value) =>
        /^\d+(\.\d+)?$/.test(String(value)) ? Number(value) : (value as number),
    );
    // Selectors arrive as JSON, and the component checks them; true, false and numbers as strings.
    const namespaceSelectors = read(
        "namespaceSelectors",
        (value) => value as RegistryCredentialsArgs["namespaceSelectors"],
    );
    const excludeNamespaces = read("excludeNamespaces", (value) => value as string[]);
    const allowEmptySelection = read("allowEmptySelection", (value) =>
        value === "true" ? true : value === "false" ? false : (value as boolean),
    );
    const maxRemovedShare = read("maxRemovedShare", (value) =>
        /^\d+(\.\d+)?$/.test(String(value)) ? Number(value) : (value as number),
    );
    // true and false arrive as strings; an object as JSON. The component checks the rest, with its messages.
    const verifyLogins = read("verifyLogins", (value) =>
        value === "true" ? true : value === "false" ? false : value,
    ) as RegistryCredentialsArgs["verifyLogins"];

    let dockerConfigJson: string | undefined;
    if (ours.registries !== undefined && ours.dockerConfigPath !== undefined) {
        report(
            "dockerConfigPath",
            "is set as well as registries; set only one: registries for logins kept in Pulumi config, or dockerConfigPath to copy a docker config.json",
        );
    } else if (dockerConfigPath !== undefined) {
        const file = readDockerConfig(dockerConfigPath);
        if ("missing" in file) {
            report("dockerConfigPath", file.missing);
        } else {
            dockerConfigJson = file.text;
        }
    }

    const args: RegistryCredentialsArgs = {
        namespaces: namespaces ?? (namespaceSelectors === undefined ? [] : undefined),
        namespaceSelectors,
        excludeNamespaces,
        allowEmptySelection,
        maxRemovedShare,
        registries,
        dockerConfigJson,
        secretName,
        serviceAccounts,
        keepImagePullSecrets,
        takeOwnership,
        attach,
        serviceAccountWaitSeconds,
        verifyLogins,
    };
    // Then the component's own rules, with its messages, against the config keys.
    // Where config has already said what is wrong with a key, that clearer message stands alone.
    const explained = new Set(problems.map((p) => p.propertyPath.slice(source.project.length + 1)));
    if (explained.has("dockerConfigPath")) {
        explained.add("registries"); // "give the credentials" would only repeat it
    }
    for (const problem of validateArgs(secretName, args)) {
        const key = configKey(problem.propertyPath, dockerConfigPath);
        const topKey = key.split(/[[. ]/)[0];
        if (!explained.has(key) && !explained.has(topKey)) {
            report(key, problem.reason);
        }
    }

    if (problems.length > 0) {
        throw new StackConfigError(source.stack, problems);
    }
    return {
        dockerConfigPath,
        rollouts: clusters.map((cluster) => ({ cluster, componentName: `regcred@${cluster.key}`, args })),
    };
}

/** The project's own keys, reporting unknown ones with a suggestion. */
function ownValues(source: ConfigSource, report: (key: string, reason: string) => void): Record<string, string> {
    const prefix = `${source.project}:`;
    const ours: Record<string, string> = {};
    for (const [fullKey, value] of Object.entries(source.values)) {
        if (!fullKey.startsWith(prefix)) {
            continue; // another namespace's, e.g. kubernetes:..., read by its provider
        }
        const key = fullKey.slice(prefix.length);
        if (key in STACK_KEYS) {
            ours[key] = value;
        } else {
            report(key, unknownKey(key, Object.keys(STACK_KEYS)));
        }
    }
    return ours;
}

function unknownKey(key: string, known: readonly string[]): string {
    const suggestion = closest(key, known);
    return suggestion === undefined
        ? `is not a setting of this project; the settings are ${known.join(", ")}`
        : `is not a setting of this project; did you mean "${suggestion}"?`;
}

/** Lists and maps arrive as JSON; anything else is the string itself. */
function parseValue(text: string): unknown {
    const trimmed = text.trim();
    if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
        try {
            return JSON.parse(trimmed);
        } catch {
            return text;
        }
    }
    return text;
}

function checkNamespaces(
    value: unknown,
    report: (key: string, reason: string) => void,
): (string | NamespaceTarget)[] | undefined {
    if (!Array.isArray(value)) {
        report(
            "namespaces",
            `must be a list of namespaces, not ${describe(value)}. Write it as a YAML list in the stack file, or set entries with \`pulumi config set --path 'namespaces[0]' team-a\``,
        );
        return undefined;
    }
    value.forEach((entry, i) => {
        if (isPlainObject(entry)) {
            if (entry.name === undefined) {
                report(
                    `namespaces[${i}].name`,
                    "is not set: a namespace given as a map needs its name, e.g. { name: team-a, serviceAccounts: [default] }",
                );
            }
        }
    });
    return value as (string | NamespaceTarget)[];
}

/** Registries as the component takes them; a password missing or in plain text is reported with the command that fixes it. */
function checkRegistries(
    value: unknown,
    source: ConfigSource,
    report: (key: string, reason: string) => void,
): RegistryCredentialsArgs["registries"] {
    if (!Array.isArray(value)) {
        // Only the value's kind: a mistyped value here may be a password.
        report("registries", `must be a list of registry logins (server, username, password), not ${kindOf(value)}`);
        return undefined;
    }
    // Per entry where the stack file says which values are secure; else as the CLI says, per key.
    const keyIsSecret = source.secretKeys === undefined || source.secretKeys.has(`${source.project}:registries`);
    const file = source.stackFile?.keys.has(`${source.project}:registries`) ? source.stackFile : undefined;
    const passwordIsSecret = (i: number) => (file ? file.securePaths.has(`registries[${i}].password`) : keyIsSecret);
    value.forEach((entry, i) => {
        if (!isPlainObject(entry)) {
            return; // the component reports it
        }
        const setIt = `pulumi config set --secret --path 'registries[${i}].password' --stack ${source.stack}`;
        if (entry.password === undefined || entry.password === "") {
            report(
                `registries[${i}].password`,
                `is not set. Set it, encrypted, with: ${setIt}   (it prompts for the value; or pipe it in on stdin)`,
            );
        } else if (!passwordIsSecret(i)) {
            // Never quote it: it is a credential.
            report(
                `registries[${i}].password`,
                `is stored in plain text in stacks/Pulumi.${source.stack}.yaml. Delete it from the file (and from git history if it was committed), rotate it, then set it encrypted with: ${setIt}`,
            );
        }
    });
    return value.map((entry) =>
        isPlainObject(entry) && typeof entry.password === "string" ? { ...entry, password: entry.password } : entry,
    ) as RegistryCredentialsArgs["registries"];
}

function checkClusters(value: unknown, report: (key: string, reason: string) => void): Cluster[] | undefined {
    if (!Array.isArray(value) || value.length === 0) {
        report(
            "clusters",
            `must be a non-empty list of kubeconfig context names (see \`kubectl config get-contexts -o name\`), or left out to use the current context; got ${describe(value)}`,
        );
        return undefined;
    }
    const seen = new Set<string>();
    value.forEach((context, i) => {
        if (typeof context !== "string" || context.trim() === "") {
            report(`clusters[${i}]`, `must be a kubeconfig context name, not ${describe(context)}`);
        } else if (seen.has(context)) {
            report(`clusters[${i}]`, `context ${JSON.stringify(context)} is listed twice`);
        }
        seen.add(String(context));
    });
    return value.map((context) => ({ key: String(context), context: String(context) }));
}

function stringOrReport(
    value: unknown,
    key: string,
    report: (key: string, reason: string) => void,
): string | undefined {
    if (typeof value !== "string" || value.trim() === "") {
        report(key, `must be a non-empty string, not ${describe(value)}`);
        return undefined;
    }
    return value;
}

/** Maps a component argument's path onto the config key it came from. */
function configKey(propertyPath: string, dockerConfigPath: string | undefined): string {
    return propertyPath.startsWith("dockerConfigJson")
        ? `dockerConfigPath (${dockerConfigPath})${propertyPath.slice("dockerConfigJson".length)}`
        : propertyPath;
}

function formatProblems(stack: string, problems: readonly Problem[]): string {
    const count = problems.length === 1 ? "a configuration problem" : `${problems.length} configuration problems`;
    return `Stack "${stack}" has ${count} (config in stacks/Pulumi.${stack}.yaml):\n${problemList(problems)}`;
}
