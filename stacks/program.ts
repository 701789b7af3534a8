/**
 * What a stack declares: for each target cluster, one Kubernetes provider
 * and one RegistryCredentials, from the stack's checked config.
 * stacks/index.ts runs it under the Pulumi CLI; stacks/render.ts runs it on
 * the mock runtime.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RegistryCredentials, kubeconfigFileFor } from "../components";
import { RunHelper, resolveCredentialHelpers, runHelper } from "./dockerCredentials";
import { Cluster, ConfigSource, DockerConfigFile, resolveStack } from "./stackConfig";
import { PROJECT_DIR, offlinePlaceholder, readStackFile } from "./stackFiles";

/** How the program runs. */
export interface ProgramOptions {
    /**
     * Running offline (render): a docker config file that does not exist
     * on this machine becomes a marked placeholder, with a warning, instead
     * of stopping the run as it does for `pulumi up`.
     */
    readonly offline?: boolean;
    /** Where offline warnings go. */
    readonly warn?: (message: string) => void;
    /** Reads the file at `dockerConfigPath`; tests give one that needs no home directory. */
    readonly readDockerConfig?: (file: string) => DockerConfigFile;
}

/** One cluster's resources. */
export interface DeclaredCluster {
    readonly cluster: Cluster;
    readonly provider: k8s.Provider;
    readonly credentials: RegistryCredentials;
}

/** The config the Pulumi CLI (or render, the same way) handed this process. */
export function configFromRuntime(): ConfigSource {
    // Which keys hold secrets is kept by the SDK in its run's config store
    // (from PULUMI_CONFIG_SECRET_KEYS under a language host, from the run
    // request for an in-process program); it answers through isConfigSecret,
    // which its type declarations leave out.
    const values = pulumi.runtime.allConfig();
    const isSecret = (pulumi.runtime as unknown as { isConfigSecret: (key: string) => boolean }).isConfigSecret;
    const [project, stack] = [pulumi.getProject(), pulumi.getStack()];
    return {
        project,
        stack,
        values,
        secretKeys: new Set(Object.keys(values).filter((key) => isSecret(key))),
        stackFile: securePathsOf(project, stack),
    };
}

/** Which values the stack's file holds, and which of them are secure; undefined without a stack file. */
function securePathsOf(project: string, stack: string): ConfigSource["stackFile"] {
    try {
        const file = readStackFile(project, stack);
        return { keys: new Set(Object.keys(file.values)), securePaths: new Set(file.securePaths) };
    } catch {
        return undefined;
    }
}

/**
 * The stack's outputs: per cluster, the Secret's name, its namespaces, the
 * service accounts that name it, and what did not land in the last update.
 */
export function stackOutputs(clusters: readonly DeclaredCluster[]): { rollout: Record<string, unknown> } {
    return {
        rollout: Object.fromEntries(
            clusters.map(({ cluster, credentials }) => [
                cluster.key,
                {
                    secretName: credentials.secretName,
                    // Listed and selected: the selected ones are known once the cluster has been listed.
                    namespaces: credentials.namespaces,
                    serviceAccounts: credentials.namespaces.apply(() => credentials.serviceAccounts),
                    failures: credentials.failures,
                },
            ]),
        ),
    };
}

/**
 * What `npm run up` prints last when the update failed: each cluster with
 * what did not land there, one line per namespace (or service account),
 * from the stack's `rollout` output. Empty when nothing failed.
 */
export function notRolledOutSummary(rollout: Record<string, { failures?: Record<string, string> }>): string {
    const clusters = Object.entries(rollout).filter(([, { failures }]) => Object.keys(failures ?? {}).length > 0);
    if (clusters.length === 0) {
        return "";
    }
    const lines = clusters.flatMap(([key, { failures = {} }]) => [
        `  ${key}:`,
        ...Object.entries(failures)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([target, reason]) => `    ${target === "*" ? "every namespace" : target}: ${reason}`),
    ]);
    const healthy = Object.keys(rollout).length - clusters.length;
    const rest = healthy > 0 ? ` Every other cluster (${healthy}) is rolled out.` : "";
    return [
        `Not rolled out, by cluster (fix these and run npm run up again; the rest is left as it is):${rest}`,
        ...lines,
    ].join("\n");
}

/** Declares the stack's resources; throws a StackConfigError, before declaring anything, if its config is wrong. */
export function declareStack(source: ConfigSource, options: ProgramOptions = {}): DeclaredCluster[] {
    const settings = resolveStack(
        source,
        options.readDockerConfig ?? ((file) => readDockerConfig(file, source.stack, options)),
    );
    // Render sends nothing over the network: checking logins is for preview and up.
    const verifyLogins = options.offline ? undefined : settings.rollouts[0]?.args.verifyLogins;
    if (options.offline && settings.rollouts[0]?.args.verifyLogins) {
        options.warn?.("render does not try the logins (verifyLogins); `npm run preview` does.");
    }
    return settings.rollouts.map(({ cluster, componentName, args }) => {
        // No context: the provider uses the kubeconfig's current context, as kubectl does.
        // enableSecretMutable: a password rotation updates the Secrets in place,
        // where the provider's default would delete and re-create them.
        const provider = new k8s.Provider(`cluster@${cluster.key}`, {
            context: cluster.context,
            kubeconfig: kubeconfigFileFor(cluster.context),
            enableSecretMutable: true,
            // The client's default of 50 requests a second paces a rollout to many
            // namespaces; the API server's priority and fairness still protects it.
            // Raising it on a deployed stack updates the provider and replaces nothing
            // (test/e2e/lifecycle.e2e.ts); BENCHMARKS.md, "Real engine", has what it buys.
            kubeClientSettings: { qps: 1000, burst: 2000 },
            // A Secret that exists but is not in the state (after a killed `up` without
            // checkpoints, or a lost state) is taken over instead of refused with
            // AlreadyExists, on pulumi-kubernetes 4.29 and later as on earlier versions.
            upsertExistingObjects: true,
        });
        const credentials = new RegistryCredentials(
            componentName,
            {
                ...args,
                verifyLogins,
                // Config hands the program passwords in plain text; from here on they are secrets.
                registries: args.registries?.map((login) => ({ ...login, password: pulumi.secret(login.password) })),
            },
            { provider },
        );
        return { cluster, provider, credentials };
    });
}

/** Stands in for credential helpers during render, which never reads credentials it would have to hide. */
function placeholderHelper(file: string, options: ProgramOptions): RunHelper {
    return (name, action, server) => {
        options.warn?.(
            `${file} keeps the login for ${server || "its registries"} in docker-credential-${name}, which render does not ask: it shows a placeholder. \`npm run up\` asks it.`,
        );
        const placeholder = offlinePlaceholder(`the login in docker-credential-${name}`);
        return {
            status: 0,
            stderr: "",
            stdout:
                action === "list"
                    ? "{}"
                    : JSON.stringify({ ServerURL: server, Username: placeholder, Secret: placeholder }),
        };
    };
}

/**
 * Reads a docker config file: `~` is the home directory, and a relative
 * path is taken from the repository root, wherever the program runs from.
 * Never quotes the file, which holds credentials.
 */
export function readDockerConfig(file: string, stack: string, options: ProgramOptions): DockerConfigFile {
    const resolved =
        file === "~" || file.startsWith("~/")
            ? path.join(os.homedir(), file.slice(1))
            : path.resolve(PROJECT_DIR, file);
    try {
        const text = fs.readFileSync(resolved, "utf8");
        // Offline, the helpers are not asked: render shows placeholders where their logins would go.
        const inline = resolveCredentialHelpers(text, options.offline ? placeholderHelper(file, options) : runHelper);
        if (inline === undefined) {
            return { text };
        }
        return "problem" in inline ? { missing: `${file} (${resolved}): ${inline.problem}` } : { text: inline.text };
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" && options.offline) {
            options.warn?.(
                `${file} does not exist on this machine, so the rendered Secrets hold a placeholder instead of your docker login. ` +
                    `\`npm run up -- ${stack}\` would stop here: run \`docker login <registry>\` first.`,
            );
            const placeholder = offlinePlaceholder(`${file} does not exist on this machine`);
            const auth = Buffer.from(`${placeholder}:${placeholder}`).toString("base64");
            return { text: JSON.stringify({ auths: { [placeholder]: { auth } } }) };
        }
        return {
            missing:
                code === "ENOENT"
                    ? `${file} (${resolved}) does not exist. Run \`docker login <registry>\` to create it, or point dockerConfigPath at another file: pulumi config set dockerConfigPath <path> --stack ${stack}`
                    : `${file} (${resolved}) cannot be read (${code ?? "unknown error"}); check that it is a file you can read`,
        };
    }
}
