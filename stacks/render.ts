/**
 * `npm run render -- <stack> [--show-secrets]`: what `pulumi up -s <stack>`
 * would declare, printed as Kubernetes manifests, without a cluster, a
 * backend or the Pulumi CLI.
 *
 * It feeds stacks/Pulumi.<stack>.yaml to the real program the way the CLI
 * does (the PULUMI_CONFIG environment variables), runs it on Pulumi's mock
 * runtime, and prints what the engine was asked to create: multi-document
 * YAML on stdout, a summary on stderr. Bad config gives the program's own
 * error, as `pulumi up` would show it, and exit code 1.
 */
import * as fs from "fs";
import * as YAML from "yaml";
// Not the library's index, which loads the Pulumi SDK: that must wait until the config is in the environment (below).
// These two modules load none of it.
import { currentContext, definesContext, kubeconfigFiles } from "../components/kubeconfig";
import { parseKey } from "../components/serviceAccountEntry";
import { StackFileConfig, projectName, readStackFile } from "./stackFiles";

// Types only: program.ts and mockRuntime.ts load @pulumi/pulumi, which reads
// the config from the environment, so they are imported once it is there.
import type * as pulumi from "@pulumi/pulumi";
import type { RegistryCredentials } from "../components";
import type { DeclaredCluster } from "./program";
import type { Registration } from "./mockRuntime";

type Engine = typeof import("./mockRuntime");

const USAGE = "usage: npm run render -- <stack> [--show-secrets]";
const REDACTED = "[secret: redacted; run with --show-secrets to see it]";

interface Options {
    readonly stack: string;
    readonly showSecrets: boolean;
}

async function main(argv: readonly string[]): Promise<number> {
    const options = parseArguments(argv);
    if (typeof options === "string") {
        process.stderr.write(`${options}\n${USAGE}\n`);
        return 2;
    }
    const project = projectName();
    let config: StackFileConfig;
    try {
        config = readStackFile(project, options.stack);
    } catch (error) {
        return fail(error);
    }
    // What the CLI's language host does before it starts the program.
    process.env.PULUMI_CONFIG = JSON.stringify(config.values);
    process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(config.secretKeys);

    const engine = await import("./mockRuntime");
    const runtime = engine.startMockRuntime(project, options.stack);
    const { configFromRuntime, declareStack } = await import("./program");
    const warnings = config.securePaths.map(
        (at) => `${at} is a secure value, which render does not decrypt: it shows as "[not available offline: ...]".`,
    );
    for (const at of config.templatePaths) {
        warnings.push(
            `${at} still holds the template placeholder committed with this repository, which \`npm run up -- ${options.stack}\` cannot decrypt. ` +
                `Set it first: pulumi config set --secret --path '${at}' --stack ${options.stack}`,
        );
    }
    let clusters: DeclaredCluster[];
    try {
        clusters = declareStack(configFromRuntime(), { offline: true, warn: (message) => warnings.push(message) });
        await engine.allRegistered(
            clusters.flatMap(({ provider, credentials }) => [
                provider,
                ...Object.values(credentials.secrets),
                ...attachments(credentials),
            ]),
        );
    } catch (error) {
        return fail(error);
    }

    // Offline: the kubeconfig can be read, the clusters cannot be asked.
    for (const { cluster } of clusters) {
        if (cluster.context !== undefined && !definesContext(cluster.context)) {
            warnings.push(
                `the kubeconfig (${kubeconfigFiles().join(", ")}) has no context named ${JSON.stringify(cluster.context)}: ` +
                    `\`npm run preview\` and \`up\` would reach no cluster for it. List yours with \`kubectl config get-contexts -o name\`.`,
            );
        }
    }
    warnings.push(
        "render is offline: it did not ask any cluster whether the namespaces exist; `npm run preview` does.",
    );
    const selection = await selectionNote(config.values[`${project}:namespaceSelectors`], options.stack);
    if (selection !== undefined) {
        warnings.push(selection);
    }

    const byUrn = new Map(runtime.registrations.map((registration) => [registration.urn, registration]));
    const documents: YAML.Document[] = [];
    for (const { cluster, credentials } of clusters) {
        const where =
            cluster.context === undefined
                ? describeCurrentContext()
                : `kubeconfig context ${JSON.stringify(cluster.context)}`;
        const accountsOf = accountsByNamespace(credentials.serviceAccounts);
        for (const [namespace, secret] of Object.entries(credentials.secrets)) {
            const accounts = accountsOf.get(namespace) ?? [];
            const attached =
                credentials.admissionPolicy !== undefined
                    ? "Added to new Pods' imagePullSecrets by the admission policy below."
                    : accounts.length === 0
                      ? "Attached to no service account."
                      : `Added as one entry to the imagePullSecrets of service account${accounts.length === 1 ? "" : "s"} ${accounts.join(", ")}` +
                        ` (a conditional JSON Patch as field manager ${JSON.stringify(credentials.fieldManager)}; other entries are kept, and no account is created).`;
            documents.push(
                manifest(
                    byUrn.get(await engine.valueOf(secret.urn))!,
                    [`cluster: ${where}`, attached],
                    engine,
                    options,
                ),
            );
        }
        if (credentials.admissionPolicy !== undefined) {
            for (const resource of [credentials.admissionPolicy.policy, credentials.admissionPolicy.binding]) {
                documents.push(
                    manifest(byUrn.get(await engine.valueOf(resource.urn))!, [`cluster: ${where}`], engine, options),
                );
            }
        }
    }

    const header = ` Rendered offline by \`npm run render -- ${options.stack}\`: what \`pulumi up -s ${options.stack}\` would declare.`;
    if (documents.length > 0) {
        documents[0].commentBefore = `${header}\n${documents[0].commentBefore ?? ""}`;
    }
    process.stdout.write(documents.map((document) => `---\n${document.toString({ lineWidth: 0 })}`).join(""));

    for (const warning of warnings) {
        process.stderr.write(`warning: ${warning}\n`);
    }
    process.stderr.write(`${summary(options.stack, clusters)}\n`);
    return 0;
}

function parseArguments(argv: readonly string[]): Options | string {
    const flags = argv.filter((arg) => arg.startsWith("-"));
    const positional = argv.filter((arg) => !arg.startsWith("-"));
    const unknown = flags.filter((flag) => flag !== "--show-secrets");
    if (unknown.length > 0) {
        return `render: unknown option ${unknown.join(", ")}`;
    }
    if (positional.length !== 1) {
        return positional.length === 0
            ? "render: which stack? Give its name, e.g. dev"
            : `render: give one stack, not ${positional.length}`;
    }
    return { stack: positional[0], showSecrets: flags.includes("--show-secrets") };
}

/** A document: the resource's inputs as a manifest, with secrets redacted unless asked for. */
function manifest(registration: Registration, comments: string[], engine: Engine, options: Options): YAML.Document {
    const document = new YAML.Document(
        conventionalOrder(withSecrets(registration.inputs, engine, options.showSecrets) as Record<string, unknown>),
    );
    document.commentBefore = [...comments, `Pulumi resource: ${registration.type} ${JSON.stringify(registration.name)}`]
        .map((line) => ` ${line}`)
        .join("\n");
    return document;
}

/** A copy with each secret either unwrapped or replaced by a marker. */
function withSecrets(value: unknown, engine: Engine, show: boolean): unknown {
    if (Array.isArray(value)) {
        return value.map((item) => withSecrets(item, engine, show));
    }
    if (typeof value === "object" && value !== null) {
        if (engine.isSecretWrapped(value)) {
            const inner = withSecrets(engine.unwrapSecret(value), engine, show);
            return show ? inner : redacted(inner);
        }
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withSecrets(item, engine, show)]));
    }
    return value;
}

/** A secret's shape with every value hidden, so that `data` still shows which keys it holds. */
function redacted(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(redacted);
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redacted(item)]));
    }
    return REDACTED;
}

/** The fields in the order kubectl users expect; the engine hands them over sorted. */
function conventionalOrder(inputs: Record<string, unknown>): Record<string, unknown> {
    const { apiVersion, kind, metadata, type, ...rest } = inputs;
    return { apiVersion, kind, metadata, ...(type === undefined ? {} : { type }), ...rest };
}

/**
 * "The current context" names a different cluster on every machine: say which
 * one this machine's kubeconfig resolves to, so that nobody rolls dev's config
 * out to prod because prod was current.
 */
function describeCurrentContext(): string {
    const current = currentContext();
    const files = kubeconfigFiles();
    const found = files.filter((file) => fs.existsSync(file));
    return current === undefined
        ? found.length === 0
            ? `the current kubeconfig context, but this machine has no kubeconfig (${files.join(", ")} does not exist)`
            : `the current kubeconfig context, which no kubeconfig file here sets (${found.join(", ")} has no current-context)`
        : `the current kubeconfig context, here ${JSON.stringify(current.context)} (from ${current.file})`;
}

/**
 * clusters × namespaces, and the service accounts that get the entry in each:
 * namespaces that share a list of accounts are counted together, so the line
 * stays short at 2,000 namespaces.
 */
function summary(stack: string, clusters: readonly DeclaredCluster[]): string {
    const secrets = clusters.reduce((n, { credentials }) => n + Object.keys(credentials.secrets).length, 0);
    const entries = clusters.reduce((n, { credentials }) => n + credentials.serviceAccounts.length, 0);
    const first = clusters[0].credentials;
    const namespaces = Object.keys(first.secrets);
    const plural = (n: number, word: string) => `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
    return (
        `stack ${stack}: ${plural(clusters.length, "cluster")} × ${plural(namespaces.length, "namespace")} = ${plural(secrets, "Secret")}, ` +
        `and ${entries.toLocaleString("en-US")} service account ${entries === 1 ? "entry" : "entries"}` +
        accountsSummary(first.serviceAccounts, namespaces)
    );
}

/** Which service accounts get the entry: each list of accounts, with the namespaces (or how many) that have it. */
function accountsSummary(keys: readonly string[], namespaces: readonly string[]): string {
    if (keys.length === 0) {
        return "";
    }
    const accounts = accountsByNamespace(keys);
    const byList = new Map<string, string[]>();
    for (const namespace of namespaces) {
        const list = `[${(accounts.get(namespace) ?? []).join(", ")}]`;
        const members = byList.get(list) ?? [];
        byList.set(list, members);
        members.push(namespace);
    }
    const groups = [...byList].map(([list, members]) =>
        members.length <= 3
            ? `${list} in ${members.join(", ")}`
            : `${list} in ${members.length.toLocaleString("en-US")} namespaces`,
    );
    return ` (service accounts: ${groups.join("; ")})`;
}

/** The resources besides the Secrets that attach them. */
function attachments(credentials: RegistryCredentials): pulumi.Resource[] {
    const policy = credentials.admissionPolicy;
    return [
        ...(credentials.serviceAccountEntries ? [credentials.serviceAccountEntries] : []),
        ...(policy ? [policy.policy, policy.binding] : []),
    ];
}

/** The service accounts of each namespace, from the component's `namespace/serviceAccount` keys. */
function accountsByNamespace(keys: readonly string[]): Map<string, string[]> {
    const accounts = new Map<string, string[]>();
    for (const key of keys) {
        const { namespace, serviceAccount } = parseKey(key);
        const list = accounts.get(namespace) ?? [];
        accounts.set(namespace, list);
        list.push(serviceAccount);
    }
    return accounts;
}

/**
 * What render says of a stack's label selectors: which they are, and that
 * the namespaces they choose are known only at preview and up (each cluster
 * is listed then), so the manifests above are the listed namespaces' alone.
 */
async function selectionNote(configured: string | undefined, stack: string): Promise<string | undefined> {
    if (configured === undefined) {
        return undefined;
    }
    const { selectorText } = await import("../components/namespaceSelector");
    const selectors = JSON.parse(configured) as import("../components").LabelSelector[];
    return (
        `namespaceSelectors: ${selectors.map((selector) => JSON.stringify(selectorText(selector))).join(" or ")}. ` +
        "The namespaces they choose are resolved live, against each cluster, at `npm run preview` and `up`: " +
        `render is offline, so the manifests above are the listed namespaces' only. \`npm run preview -- ${stack}\` shows the selected ones.`
    );
}

/** Prints an error as `pulumi up` would show it: the message alone for config errors, which say everything. */
function fail(error: unknown): number {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${message}\n`);
    return 1;
}

main(process.argv.slice(2)).then(
    (code) => {
        process.exitCode = code;
    },
    (error) => {
        process.stderr.write(`render failed: ${error instanceof Error ? error.stack : String(error)}\n`);
        process.exitCode = 1;
    },
);
