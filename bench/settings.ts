/**
 * The settings the cluster benchmarks compare, and the program they deploy:
 * what both the benchmark and each operation's own process (operation.ts)
 * need, and nothing that starts a cluster or a state backend.
 */
import * as os from "os";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { RegistryCredentials } from "../components";
import { Cluster } from "../testcluster/controlPlane";

export const LOGIN = { server: "registry.example.com", username: "bench" };

/**
 * What one variant of Pulumi's settings changes. Every operation runs
 * through stacks/pulumiRun.ts, as `npm run up` does, so its defaults
 * (`fastDefaults`) apply where a setting leaves them.
 */
export interface Settings {
    readonly name: string;
    readonly env: Record<string, string>;
    readonly provider: Partial<k8s.ProviderArgs>;
    /** `--parallel`: resource operations at once. */
    readonly parallel?: number;
    /** Run in a (pseudo-)terminal, where the CLI draws its progress view, instead of writing lines to a log file. */
    readonly terminal?: boolean;
    /** The component's `attach`: its default, or the mode with no service-account writes. */
    readonly attach?: "admissionPolicy";
}

/** The CLI's own default for `--parallel`: 4 per CPU. */
const PULUMI_PARALLEL = 4 * os.availableParallelism();
/** The CLI's own default, which the route changes. */
const CHECKPOINTS = { PULUMI_SKIP_CHECKPOINTS: "false" };
/** The provider's client past its default 50 requests a second, as the stacks set it. */
const CLIENT = { kubeClientSettings: { qps: 1000, burst: 2000 } };

/** `npm run up`'s own settings: what `bench:real` measures unless told `--settings`. */
export const README_ROUTE: Settings = { name: "README route", env: {}, provider: CLIENT };

// Each setting alone, then both ("tuned", which is the route without its --parallel 64 for destroy), then more.
export const SETTINGS: Settings[] = [
    { name: "defaults", env: CHECKPOINTS, provider: {}, parallel: PULUMI_PARALLEL },
    { name: "no checkpoints", env: {}, provider: {}, parallel: PULUMI_PARALLEL },
    { name: "client 1000/2000", env: CHECKPOINTS, provider: CLIENT, parallel: PULUMI_PARALLEL },
    { name: "tuned", env: {}, provider: CLIENT, parallel: PULUMI_PARALLEL },
    // Operations that mostly wait (the provider awaits each Secret's deletion) at more than 4 per CPU.
    { name: "tuned, parallel 64", env: {}, provider: CLIENT, parallel: 64 },
    // The engine's diffs (one provider call per resource) run concurrently instead of one after another.
    {
        name: "tuned, parallel diff",
        env: { PULUMI_PARALLEL_DIFF: "true" },
        provider: CLIENT,
        parallel: PULUMI_PARALLEL,
    },
    README_ROUTE,
    // The display: the CLI's progress view, redrawn as resources change, instead of one line per step.
    // As under tmux or screen: with no terminal behind the pseudo-terminal to
    // answer it, the CLI's query for the background colour waits 5 s.
    { ...README_ROUTE, name: "README route, in a terminal", env: { TERM: "screen-256color" }, terminal: true },
    // Resources per namespace: a Secret, and no service-account entry (two cluster-wide objects instead).
    { ...README_ROUTE, name: "README route, admission-policy mode", attach: "admissionPolicy" },
];

/** A setting's name as a Kubernetes name part, and as --settings takes it. */
export const slug = (settings: Settings) => settings.name.replace(/[^a-z0-9]+/gi, "-").toLowerCase();

export function settingsNamed(name: string): Settings {
    const found = SETTINGS.find((settings) => settings.name === name);
    if (found === undefined) {
        throw new Error(`no bench setting named "${name}"`);
    }
    return found;
}

/** The benchmark's program: one provider for the cluster, and the component over `namespaces`. */
export function benchProgram(
    cluster: Cluster,
    namespaces: readonly string[],
    settings: Settings,
    password: string,
): () => Promise<void> {
    return async () => {
        const provider = new k8s.Provider("cluster", {
            kubeconfig: cluster.kubeconfig,
            context: cluster.adminContext,
            enableSecretMutable: true,
            ...settings.provider,
        });
        new RegistryCredentials(
            "regcred",
            {
                registries: [{ ...LOGIN, password: pulumi.secret(password) }],
                namespaces: [...namespaces],
                attach: settings.attach,
            },
            { provider },
        );
    };
}
