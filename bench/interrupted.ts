/**
 * `npm run bench:interrupted`: what a `pulumi up` killed halfway leaves
 * behind, with and without checkpoints, and how the next `up` recovers.
 * `PULUMI_SKIP_CHECKPOINTS` makes a large rollout several times faster
 * (BENCHMARKS.md, "Real engine"), at the price of the state written during
 * the run: this measures that price.
 *
 * For each setting and signal, on a fresh stack: a first `up` to N
 * namespaces, stopped once half the Secrets exist, with SIGINT (Ctrl-C:
 * the CLI cancels and writes its state) or SIGKILL (a crash, or a CI runner
 * killed: the CLI and its plugins die at once). Then it counts what the
 * cluster holds and what the state records, runs `up` again (with
 * `pulumi cancel` first if the stack is left locked), counts again, and
 * destroys. Writes the "Interrupted up" section of BENCHMARKS.md.
 *
 * Usage: npm run bench:interrupted [-- --size N] [-- --out FILE]
 */
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { Cluster } from "../testcluster/controlPlane";
import { kubectl } from "../testcluster/kubectl";
import { removeScratch, startCluster, stopCluster } from "../testcluster/scratch";
import { commandLine, flagValue } from "./flags";
import { pulumiProcesses } from "./peakMemory";
import { benchStack, createNamespaces, seconds, versions } from "./realStack";
import { SETTINGS, Settings, slug } from "./settings";
import { INTERRUPTED_SECTION, writeSection } from "./sections";

const SIZE = Number(flagValue("--size") ?? 300);
const OUT = flagValue("--out") ?? path.join(__dirname, "..", "BENCHMARKS.md");

/** Checkpoints on (the client rate raised, so that the run is not paced by it) and off. */
const COMPARED = ["client 1000/2000", "tuned"].map((name) => SETTINGS.find((settings) => settings.name === name)!);
const SIGNALS = ["SIGINT", "SIGKILL"] as const;

/** What the cluster holds and the state records for one stack's namespaces. */
interface Count {
    readonly secretsInCluster: number;
    readonly entriesInCluster: number;
    readonly secretsInState: number;
    readonly entriesInState: number;
    readonly pendingOperations: number;
}

interface Outcome {
    readonly settings: string;
    readonly signal: string;
    /** Whether the signal stopped the first `up`, or it had finished already. */
    readonly stopped: boolean;
    readonly atStop: Count;
    /** What the next `up` needed, and took. */
    readonly recovery: string;
    readonly recoverySeconds: number;
    readonly afterRecovery: Count;
    /** Secrets and entries a destroy right after the stop would leave behind: in the cluster, not in the state. */
    readonly orphansIfDestroyed: number;
    /** What is left after the recovered stack's destroy. */
    readonly leftAfterDestroy: number;
}

/** The namespaces that hold a Secret named regcred. */
function secretNamespaces(cluster: Cluster): string[] {
    return kubectl(cluster, [
        "get",
        "secrets",
        "-A",
        "--field-selector=metadata.name=regcred",
        "-o",
        "jsonpath={.items[*].metadata.namespace}",
    ]).stdout.split(" ");
}

async function count(cluster: Cluster, stack: Stack, namespaces: readonly string[]): Promise<Count> {
    const ours = new Set(namespaces);
    const secrets = secretNamespaces(cluster);
    const accounts = JSON.parse(
        kubectl(cluster, ["get", "serviceaccounts", "-A", "--field-selector=metadata.name=default", "-o", "json"])
            .stdout,
    ).items as { metadata: { namespace: string }; imagePullSecrets?: { name: string }[] }[];
    const deployment = (await stack.exportStack()).deployment;
    const resources: { type: string; outputs?: { owned?: string[] } }[] = deployment.resources ?? [];
    const entriesResource = resources.find((resource) => resource.type.endsWith(":ServiceAccountEntries"));
    return {
        secretsInCluster: secrets.filter((namespace) => ours.has(namespace)).length,
        entriesInCluster: accounts.filter(
            (account) =>
                ours.has(account.metadata.namespace) &&
                (account.imagePullSecrets ?? []).some((entry) => entry.name === "regcred"),
        ).length,
        secretsInState: resources.filter((resource) => resource.type === "kubernetes:core/v1:Secret").length,
        entriesInState: entriesResource?.outputs?.owned?.length ?? 0,
        pendingOperations: deployment.pending_operations?.length ?? 0,
    };
}

async function interruptedRun(
    cluster: Cluster,
    settings: Settings,
    signal: (typeof SIGNALS)[number],
): Promise<Outcome> {
    const name = `${slug(settings)}-${signal.toLowerCase()}`;
    const namespaces = await createNamespaces(cluster, name, SIZE);
    const stack = await benchStack(cluster, name, { namespaces }, settings, { value: "first" });
    const quiet = { color: "never" as const, suppressProgress: true };
    process.stderr.write(`${settings.name}, ${signal}\n`);

    let settled = false;
    const run = stack.up(quiet).then(
        () => ({ stopped: false, how: "finished before the signal" }),
        (error: Error) => ({
            stopped: true,
            how: error.message.split("\n").find((line) => /error|signal|interrupt|cancel/i.test(line)) ?? "failed",
        }),
    );
    void run.then(() => (settled = true));
    // Stopped once half the Secrets exist (or not at all, if the up ends first).
    while (!settled) {
        if (secretNamespaces(cluster).filter((namespace) => namespace.startsWith(`${name}-`)).length >= SIZE / 2) {
            const { cli, all } = pulumiProcesses();
            for (const { pid } of signal === "SIGKILL" ? all : cli) {
                try {
                    process.kill(pid, signal);
                } catch {
                    // it exited meanwhile
                }
            }
            break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const firstUp = await run;
    process.stderr.write(`  the first up: ${firstUp.how}\n`);
    const atStop = await count(cluster, stack, namespaces);
    process.stderr.write(`  at the stop: ${JSON.stringify(atStop)}\n`);

    const steps: string[] = [];
    const started = process.hrtime.bigint();
    try {
        await stack.up(quiet);
        steps.push("`up`");
    } catch (error) {
        const message = (error as Error).message;
        const reason = /locked/.test(message)
            ? "the stack is locked"
            : (message.split("\n").find((line) => /error/i.test(line)) ?? "failed");
        steps.push(`\`up\` fails (${reason.trim()})`);
        if (/locked/.test(message)) {
            await stack.cancel();
            steps.push("`pulumi cancel`");
        }
        await stack.up(quiet);
        steps.push("`up`");
    }
    const recoverySeconds = seconds(started);
    const afterRecovery = await count(cluster, stack, namespaces);
    process.stderr.write(
        `  recovered by ${steps.join(", ")} in ${recoverySeconds.toFixed(1)} s: ${JSON.stringify(afterRecovery)}\n`,
    );

    await stack.destroy(quiet);
    const left = await count(cluster, stack, namespaces);
    await stack.workspace.removeStack(stack.name);
    return {
        settings: settings.name,
        signal,
        stopped: firstUp.stopped,
        atStop,
        recovery: steps.join(", then "),
        recoverySeconds,
        afterRecovery,
        orphansIfDestroyed:
            Math.max(0, atStop.secretsInCluster - atStop.secretsInState) +
            Math.max(0, atStop.entriesInCluster - atStop.entriesInState),
        leftAfterDestroy: left.secretsInCluster + left.entriesInCluster,
    };
}

function table(outcomes: readonly Outcome[]): string {
    const pair = (cluster: number, state: number) => `${cluster} / ${state}`;
    const lines = [
        "| setting | signal | the first up | Secrets: cluster / state | entries: cluster / state | pending operations | a destroy now would leave behind | the next up | its time s | after it, Secrets: cluster / state | entries: cluster / state | pending operations | left after destroy |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ];
    for (const outcome of outcomes) {
        const { atStop, afterRecovery } = outcome;
        lines.push(
            `| ${outcome.settings} | ${outcome.signal} | ${outcome.stopped ? "stopped" : "had finished"} | ${pair(atStop.secretsInCluster, atStop.secretsInState)} | ${pair(atStop.entriesInCluster, atStop.entriesInState)} | ${atStop.pendingOperations} | ${outcome.orphansIfDestroyed} | ${outcome.recovery} | ${outcome.recoverySeconds.toFixed(1)} | ${pair(afterRecovery.secretsInCluster, afterRecovery.secretsInState)} | ${pair(afterRecovery.entriesInCluster, afterRecovery.entriesInState)} | ${afterRecovery.pendingOperations} | ${outcome.leftAfterDestroy} |`,
        );
    }
    return lines.join("\n");
}

async function main(): Promise<void> {
    const cluster = await startCluster("interrupted");
    const outcomes: Outcome[] = [];
    try {
        for (const settings of COMPARED) {
            for (const signal of SIGNALS) {
                outcomes.push(await interruptedRun(cluster, settings, signal));
            }
        }
    } finally {
        stopCluster(cluster);
        removeScratch();
    }
    const section = [
        "## Interrupted up",
        "",
        `\`${commandLine("bench:interrupted")}\`: a first \`up\` to ${SIZE} namespaces, stopped once half the Secrets exist, on ${versions()}.`,
        '"client 1000/2000" writes checkpoints, "tuned" is the same with `PULUMI_SKIP_CHECKPOINTS=true`. SIGINT, what Ctrl-C sends, goes to the CLI alone; SIGKILL goes to the CLI and its plugins at once, as in a crash. "entries" are service accounts holding our entry; in the state, those the entries resource records as its own. "A destroy now would leave behind" counts the Secrets and entries in the cluster that the state does not record.',
        "",
        table(outcomes),
    ].join("\n");
    console.log(section);
    writeSection(OUT, INTERRUPTED_SECTION, section);
}

if (require.main === module) {
    main().catch((error) => {
        process.stderr.write(`${error.stack ?? error}\n`);
        process.exitCode = 1;
    });
}
