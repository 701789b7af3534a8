/**
 * `npm run bench:fixed`: where the fixed cost of an operation goes, the
 * part every preview, up and destroy pays whatever its size. It times a
 * no-op `npm run up -- <stack> --yes --skip-preview` at 10 namespaces, the
 * README's own command, split along its critical path:
 *
 * - the Node processes' side from bench/phaseProbe.ts, loaded into each
 *   through NODE_OPTIONS (npm, the deploy script, the dynamic provider);
 * - the CLI's side from its own OpenTelemetry trace (`--otel-traces`): when
 *   it asked for the program, started each provider, and finished.
 *
 * With `--baseline <git ref>` it measures that commit too, from a worktree,
 * in the same rounds, alternating which goes first: the "before" of a
 * change, on the same machine at the same moment.
 *
 * Usage: npm run bench:fixed [-- --baseline <ref>] [-- --rounds N (default 7)] [-- --out FILE]
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import YAML from "yaml";
import { Cluster } from "../testcluster/controlPlane";
import { pulumiEnv, removeScratch, scratchDir, startCluster, stopCluster } from "../testcluster/scratch";
import { binary } from "../testcluster/toolchain";
import { commandLine, flagValue } from "./flags";
import { createNamespaces, versions } from "./realStack";
import { median } from "./report";
import { FIXED_COST_SECTION, writeSection } from "./sections";
import { INNER, PHASES, ProbeEvent, phasesOf, readSpans } from "./phases";

const ROOT = path.join(__dirname, "..");
const ROUNDS = Number(flagValue("--rounds") ?? 7);
const BASELINE = flagValue("--baseline");
const OUT = flagValue("--out") ?? path.join(ROOT, "BENCHMARKS.md");
const NAMESPACES = 10;

/** One checkout the benchmark runs `npm run up` in: this one, or the baseline's worktree. */
interface Checkout {
    readonly label: string;
    readonly root: string;
    readonly stack: string;
}

/** The probe, compiled once into the scratch folder. */
function compiledProbe(): string {
    const source = fs.readFileSync(path.join(__dirname, "phaseProbe.ts"), "utf8");
    const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    const file = scratchDir("phaseProbe.js");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, outputText);
    return file;
}

/** The environment a user has after `eval "$(npm run -s cluster -- env)"`, with a home of its own; the local stack's passphrase. */
function userEnv(cluster: Cluster): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...pulumiEnv(cluster),
        HOME: scratchDir("home"),
        PULUMI_CONFIG_PASSPHRASE: "local",
    };
    delete env.PULUMI_BACKEND_URL; // the project's own, ./.pulumi, as for a user
    delete env.PULUMI_HOME;
    delete env.NODE_OPTIONS;
    return env;
}

/** A stack file of the benchmark's own in the checkout, copied from the local stack and pointed at `namespaces`. */
function writeStack(checkout: Checkout, cluster: Cluster, namespaces: string[]): void {
    const document = YAML.parseDocument(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.local.yaml"), "utf8"));
    document.setIn(["config", "registry-credentials:clusters"], [cluster.adminContext]);
    document.setIn(["config", "registry-credentials:namespaces"], namespaces);
    fs.writeFileSync(stackPath(checkout), document.toString());
}

const stackPath = (checkout: Checkout) => path.join(checkout.root, "stacks", `Pulumi.${checkout.stack}.yaml`);

/** `npm run up -- <stack> --yes --skip-preview`; with `probe`, split into phases. */
function up(
    checkout: Checkout,
    env: NodeJS.ProcessEnv,
    probe?: string,
): { ms: number; phases: number[]; inner: number[] } | undefined {
    const events = scratchDir(`${checkout.label}.events`);
    const trace = scratchDir(`${checkout.label}.trace.json`);
    fs.rmSync(events, { force: true });
    fs.rmSync(trace, { force: true });
    const started = performance.now();
    const result = spawnSync(
        "npm",
        [
            "run",
            "-s",
            "up",
            "--",
            checkout.stack,
            "--yes",
            "--skip-preview",
            ...(probe ? ["--otel-traces", `file://${trace}`] : []),
        ],
        {
            cwd: checkout.root,
            encoding: "utf8",
            env: probe ? { ...env, NODE_OPTIONS: `--require ${probe}`, REGCRED_PHASES: events } : env,
        },
    );
    const ms = performance.now() - started;
    if (result.status !== 0) {
        throw new Error(`${checkout.label}: npm run up exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
    }
    if (probe === undefined) {
        return undefined;
    }
    const probed = fs
        .readFileSync(events, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as ProbeEvent);
    return { ms, ...phasesOf(probed, readSpans(fs.readFileSync(trace, "utf8"))) };
}

function baselineCheckout(ref: string): Checkout {
    const root = scratchDir("baseline");
    const added = spawnSync("git", ["worktree", "add", "--detach", root, ref], { cwd: ROOT, encoding: "utf8" });
    if (added.status !== 0) {
        throw new Error(`git worktree add ${ref} failed: ${added.stderr}`);
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(root, "node_modules"));
    return { label: ref, root, stack: `bench-fixed-${process.pid}` };
}

interface Measured {
    readonly checkout: Checkout;
    readonly runs: { ms: number; phases: number[]; inner: number[] }[];
}

function table(measured: readonly Measured[]): string {
    const columnOf = (values: number[]) => `${median(values).toFixed(0)}`;
    const header = `| part of a no-op \`npm run up\` at ${NAMESPACES} namespaces | ${measured.map((m) => `${m.checkout.label} ms`).join(" | ")} |`;
    const lines = [header, `|---|${measured.map(() => "---:|").join("")}`];
    PHASES.forEach((phase, index) => {
        lines.push(
            `| ${phase} | ${measured.map((m) => columnOf(m.runs.map((run) => run.phases[index]))).join(" | ")} |`,
        );
        INNER.forEach(({ label, within }, part) => {
            if (within === phase) {
                lines.push(
                    `| (${label}) | ${measured.map((m) => `(${columnOf(m.runs.map((run) => run.inner[part]))})`).join(" | ")} |`,
                );
            }
        });
    });
    const sum = (m: Measured) => m.runs.map((run) => run.phases.reduce((a, b) => a + b, 0));
    lines.push(`| **npm start to exit** | ${measured.map((m) => `**${columnOf(sum(m))}**`).join(" | ")} |`);
    lines.push(
        `| as timed around \`npm run\` | ${measured.map((m) => columnOf(m.runs.map((run) => run.ms))).join(" | ")} |`,
    );
    return lines.join("\n");
}

async function main(): Promise<void> {
    const cluster = await startCluster("fixed");
    const checkouts: Checkout[] = [];
    try {
        const probe = compiledProbe();
        const env = userEnv(cluster);
        checkouts.push({ label: "HEAD", root: ROOT, stack: `bench-fixed-${process.pid}` });
        if (BASELINE !== undefined) {
            checkouts.unshift(baselineCheckout(BASELINE));
        }
        for (const [index, checkout] of checkouts.entries()) {
            writeStack(checkout, cluster, await createNamespaces(cluster, `fixed-${index}`, NAMESPACES));
            up(checkout, env); // the first up, which creates everything
            up(checkout, env); // a warm-up: the disk cache, and the transpile cache where there is one
        }
        const measured: Measured[] = checkouts.map((checkout) => ({ checkout, runs: [] }));
        for (let round = 0; round < ROUNDS; round++) {
            const order = round % 2 === 0 ? measured : [...measured].reverse();
            for (const entry of order) {
                entry.runs.push(up(entry.checkout, env, probe)!);
                process.stderr.write(
                    `round ${round + 1}, ${entry.checkout.label}: ${entry.runs.at(-1)!.ms.toFixed(0)} ms\n`,
                );
            }
        }
        const parts = table(measured);
        const section = [
            "## The fixed cost of an operation",
            "",
            `\`${commandLine("bench:fixed")}\`: a no-op \`npm run up -- <stack> --yes --skip-preview\` (the README's command) at ${NAMESPACES} namespaces, split along its critical path, median of ${ROUNDS} runs${BASELINE === undefined ? "" : `, ${BASELINE} and HEAD alternating`}, on ${versions()}.`,
            "The Node processes' side comes from bench/phaseProbe.ts, loaded into each of them (npm, the deploy script, the dynamic provider); the CLI's side from its own trace (`--otel-traces`). The parts follow one another, so they add up to the whole.",
            'What each part is, whose it is and what would cut it: docs/operating-at-scale.md, "The fixed cost".',
            "",
            parts,
        ].join("\n");
        writeSection(OUT, FIXED_COST_SECTION, section);
        console.log(parts);
    } finally {
        for (const checkout of checkouts) {
            spawnSync(binary("pulumi"), ["stack", "rm", checkout.stack, "--yes", "--force"], {
                cwd: checkout.root,
                env: userEnv(cluster),
            });
            fs.rmSync(stackPath(checkout), { force: true });
            fs.rmSync(path.join(checkout.root, ".pulumi", "config", `Pulumi.${checkout.stack}.yaml`), { force: true });
            if (checkout.root !== ROOT) {
                spawnSync("git", ["worktree", "remove", "--force", checkout.root], { cwd: ROOT });
            }
        }
        stopCluster(cluster);
        removeScratch();
    }
}

if (require.main === module) {
    main().catch((error) => {
        process.stderr.write(`${error.stack ?? error}\n`);
        process.exitCode = 1;
    });
}
