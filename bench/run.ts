/**
 * `npm run bench`: the component's cost against a hand-written loop that
 * declares the same Secrets and ServiceAccountPatches, on Pulumi's mock
 * engine, from compiled JavaScript. Each measurement runs in a fresh process,
 * every row is measured once per round, and the table shows medians. Writes
 * BENCHMARKS.md.
 *
 * Usage: npm run bench [-- --quick] [-- --rounds N]   (--quick: 10 and 100 namespaces, 3 rounds; default 12 rounds)
 */
import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { StartupRow, measureStartup } from "./startup";

type Variant = "component" | "baseline";
interface Sample {
    readonly ms: number;
    readonly rssBeforeKb: number;
    readonly maxRssKb: number;
}
interface Row {
    readonly namespaces: number;
    readonly serviceAccounts: number;
    readonly runs: number;
    readonly component: Summary;
    readonly baseline: Summary;
}
interface Summary {
    readonly ms: number;
    readonly peakMb: number;
    /** Peak memory above what the process held before declaring anything. */
    readonly growthMb: number;
}

const quick = process.argv.includes("--quick");
const NAMESPACES = quick ? [10, 100] : [10, 100, 1000, 2000];
const SERVICE_ACCOUNTS = [1, 3];
// Every size is measured once per round, so that a drift in the machine's
// speed during the run falls on all sizes alike, not on the last ones. One run
// here varies by about 7% (standard deviation) from the next, so a 5% target
// needs a dozen runs a side before its median settles.
const roundsFlag = process.argv.indexOf("--rounds");
const ROUNDS = roundsFlag >= 0 ? Number(process.argv[roundsFlag + 1]) : quick ? 3 : 12;
const measureScript = path.join(__dirname, "measure.js");

function measure(variant: Variant, namespaces: number, serviceAccounts: number): Sample {
    const result = spawnSync(process.execPath, [measureScript, variant, String(namespaces), String(serviceAccounts)], { encoding: "utf8" });
    if (result.status !== 0) {
        throw new Error(`${variant} at ${namespaces} namespaces failed:\n${result.stderr}`);
    }
    return JSON.parse(result.stdout.trim().split("\n").pop()!);
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function summarize(samples: Sample[]): Summary {
    return {
        ms: median(samples.map((s) => s.ms)),
        peakMb: median(samples.map((s) => s.maxRssKb / 1024)),
        growthMb: median(samples.map((s) => (s.maxRssKb - s.rssBeforeKb) / 1024)),
    };
}

/**
 * Measures every workload ROUNDS times, round by round. Within a round the
 * component and the baseline run back to back, the first of the two
 * alternating from round to round.
 */
function runAll(workloads: { namespaces: number; serviceAccounts: number }[]): Row[] {
    const samples = workloads.map(() => ({ component: [] as Sample[], baseline: [] as Sample[] }));
    for (let round = 0; round < ROUNDS; round++) {
        process.stderr.write(`round ${round + 1} of ${ROUNDS}…\n`);
        workloads.forEach(({ namespaces, serviceAccounts }, w) => {
            const order: Variant[] = round % 2 === 0 ? ["component", "baseline"] : ["baseline", "component"];
            for (const variant of order) {
                samples[w][variant].push(measure(variant, namespaces, serviceAccounts));
            }
        });
    }
    return workloads.map(({ namespaces, serviceAccounts }, w) => ({
        namespaces,
        serviceAccounts,
        runs: ROUNDS,
        component: summarize(samples[w].component),
        baseline: summarize(samples[w].baseline),
    }));
}

const fixed = (n: number, digits = 0) => n.toFixed(digits);
const ratio = (a: number, b: number) => (a / b).toFixed(3);
const msPerNamespace = (row: Row, side: Variant) => row[side].ms / row.namespaces;

/**
 * The time each namespace added since the next smaller size cost: the slope,
 * free of the fixed start-up cost that makes time / namespace fall with size.
 */
function marginalMsPerNamespace(rows: Row[], row: Row): number | undefined {
    const smaller = rows.filter((r) => r.serviceAccounts === row.serviceAccounts && r.namespaces < row.namespaces);
    const previous = smaller[smaller.length - 1];
    return previous && (row.component.ms - previous.component.ms) / (row.namespaces - previous.namespaces);
}

function table(rows: Row[]): string {
    const header = [
        "| namespaces | service accounts | resources | runs | component ms | baseline ms | time ratio | component peak MB | baseline peak MB | peak ratio | component ms / namespace | marginal ms / namespace | component growth KB / namespace |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ];
    const lines = rows.map((r) =>
        [
            r.namespaces,
            r.serviceAccounts,
            r.namespaces * (1 + r.serviceAccounts),
            r.runs,
            fixed(r.component.ms),
            fixed(r.baseline.ms),
            ratio(r.component.ms, r.baseline.ms),
            fixed(r.component.peakMb),
            fixed(r.baseline.peakMb),
            ratio(r.component.peakMb, r.baseline.peakMb),
            fixed(msPerNamespace(r, "component"), 2),
            marginalMsPerNamespace(rows, r)?.toFixed(2) ?? "",
            fixed((r.component.growthMb * 1024) / r.namespaces, 1),
        ].join(" | "),
    );
    return [...header, ...lines.map((l) => `| ${l} |`)].join("\n");
}

const percent = (change: number) => `${change >= 0 ? "+" : ""}${(change * 100).toFixed(1)}%`;

/** The issue's targets, each with whether it holds. */
function targets(rows: Row[]): string[] {
    const checks: string[] = [];
    for (const r of rows.filter((row) => row.namespaces >= 1000)) {
        const time = r.component.ms / r.baseline.ms;
        const peak = r.component.peakMb / r.baseline.peakMb;
        checks.push(`${time <= 1.05 && peak <= 1.05 ? "holds" : "MISSED"}: at ${r.namespaces} namespaces × ${r.serviceAccounts} service accounts the component costs ${time.toFixed(3)}× the baseline's time and ${peak.toFixed(3)}× its peak memory (target ≤ 1.05×)`);
    }
    for (const serviceAccounts of SERVICE_ACCOUNTS) {
        const at = (n: number) => rows.find((r) => r.namespaces === n && r.serviceAccounts === serviceAccounts);
        const [small, large] = [at(100), at(2000)];
        if (small && large) {
            const change = (side: Variant) => msPerNamespace(large, side) / msPerNamespace(small, side) - 1;
            const [component, loop] = [change("component"), change("baseline")];
            const cheaper = component < -0.1 ? "; cheaper at scale, not dearer: start-up and warm-up spread over more namespaces" : "";
            checks.push(`${Math.abs(component) <= 0.1 ? "holds" : "MISSED"}: with ${serviceAccounts} service account(s), a namespace costs ${msPerNamespace(large, "component").toFixed(2)} ms at 2,000 namespaces, ${percent(component)} from the ${msPerNamespace(small, "component").toFixed(2)} ms it costs at 100 (target within ±10%; the loop: ${percent(loop)})${cheaper}`);
        }
    }
    return checks;
}

/**
 * Where the component's time goes: one CPU profile at 1,000 namespaces × 3
 * service accounts, split into our code (components/) and the rest.
 */
function profile(): string[] {
    const dir = mkdtempSync(path.join(os.tmpdir(), "regcred-profile-"));
    const result = spawnSync(process.execPath, [`--cpu-prof`, `--cpu-prof-dir=${dir}`, measureScript, "component", "1000", "3"], { encoding: "utf8" });
    if (result.status !== 0) {
        throw new Error(`the profiled run failed:\n${result.stderr}`);
    }
    const cpuProfile = JSON.parse(readFileSync(path.join(dir, readdirSync(dir)[0]), "utf8"));
    rmSync(dir, { recursive: true, force: true });

    const nodes = new Map<number, { callFrame: { url: string; functionName: string } }>(cpuProfile.nodes.map((n: any) => [n.id, n]));
    const selfTime = new Map<string, number>();
    let total = 0;
    cpuProfile.samples.forEach((id: number, i: number) => {
        const { url, functionName } = nodes.get(id)!.callFrame;
        const where = url.includes("/components/") ? "components/ (this package)" : `${functionName || "(anonymous)"} ${url.replace(/^.*node_modules\//, "")}`.trim();
        selfTime.set(where, (selfTime.get(where) ?? 0) + cpuProfile.timeDeltas[i]);
        total += cpuProfile.timeDeltas[i];
    });
    const share = (us: number) => `${((us / total) * 100).toFixed(1)}%`;
    const ours = selfTime.get("components/ (this package)") ?? 0;
    const top = [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, 6);
    return [
        `Self time in this package's code: ${(ours / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms profiled (${share(ours)}).`,
        "",
        "| where | self time |",
        "|---|---:|",
        ...top.map(([where, us]) => `| ${where.replace(/\|/g, "\\|")} | ${share(us)} |`),
    ];
}

function machine(): string {
    const cpu = os.cpus();
    const pulumiVersion = require("@pulumi/pulumi/package.json").version;
    const k8sVersion = require("@pulumi/kubernetes/package.json").version;
    return `${cpu.length} × ${cpu[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}; Node ${process.version}, @pulumi/pulumi ${pulumiVersion}, @pulumi/kubernetes ${k8sVersion}`;
}

function main() {
    const rows = runAll(NAMESPACES.flatMap((namespaces) => SERVICE_ACCOUNTS.map((serviceAccounts) => ({ namespaces, serviceAccounts }))));
    console.log(table(rows));
    console.log(targets(rows).map((t) => `- ${t}`).join("\n"));
    if (quick) {
        return;
    }
    process.stderr.write("profiling…\n");
    const profileLines = profile();
    process.stderr.write("measuring the stacks' start-up…\n");
    const startup = measureStartup(5);
    console.log(startupTable(startup));
    writeFileSync(path.join(__dirname, "..", "..", "BENCHMARKS.md"), benchmarksMarkdown(rows, profileLines, startup));
    process.stderr.write("wrote BENCHMARKS.md\n");
}

function startupTable(startup: StartupRow[]): string {
    const ms = (how: string) => startup.find((row) => row.how.startsWith(how))!.ms;
    // `pulumi up` runs the program twice, for its preview and for the update.
    const perUp = [
        ["ts-node, type-checking (Pulumi's default)", 2 * ms("ts-node, type")],
        ["ts-node, transpile-only (what npm run preview/up/destroy use)", 2 * ms("ts-node, transpile")],
        ["build, then precompiled JavaScript", ms("building") + 2 * ms("precompiled")],
    ] as const;
    return [
        "| start | ms to the first resource |",
        "|---|---:|",
        ...startup.map((row) => `| ${row.how} | ${fixed(row.ms)} |`),
        "",
        "| a `pulumi up` (two runs of the program) | ms |",
        "|---|---:|",
        ...perUp.map(([how, total]) => `| ${how} | ${fixed(total)} |`),
    ].join("\n");
}

function benchmarksMarkdown(rows: Row[], profileLines: string[], startup: StartupRow[]): string {
    return `# Benchmarks

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}. Reproduce with:

\`\`\`sh
npm ci
npm run bench
\`\`\`

Machine: ${machine()}.

## The component against a hand-written loop

Each row declares the rollout on Pulumi's mock engine, from compiled JavaScript, once with \`RegistryCredentials\` and once with the loop a user would write without it: the same Secrets and ServiceAccountPatches, with the same inputs (\`test/bench.test.ts\` checks that they are the same). Every measurement is a fresh process. The runs go in rounds, each measuring every row once, so that a change in the machine's speed falls on all rows alike; within a round the component and the baseline run back to back, alternating which goes first. The figures are medians, over ${rows[0]?.runs ?? ROUNDS} runs a side. On this shared machine one run of the same work differs from the next by 7% to 20% (standard deviation), in user CPU time as much as in wall time, while the machine is otherwise idle; the spread is widest at 2,000 namespaces × 3 service accounts. One table therefore cannot settle a 5% target: full runs of the same code have given that row time ratios from 0.92 to 1.15. Longer looks at two rows settle it better: 20 rounds each, with the two programs above and a third, the loop with its resources under a plain ComponentResource, which is what parenting alone costs in the SDK. At 2,000 × 1 the component took 1.002× the loop's time (median of the per-round ratios; mean 0.994, standard error 0.016) and the parented loop 0.98×; at 2,000 × 3 the component took 1.033× (mean 1.038, standard error 0.026) and the parented loop 0.97×. Parenting costs nothing measurable; what the component adds is about 3% of time, within the 5% target on average but not by a margin that one 12-round table can show every time. Its cause is the extra stack frame described under "Where the time goes". Time runs from the first declaration until every call to the engine is answered. Peak is the process's maximum resident memory; growth is that peak less what the process held before declaring anything. Time per namespace is the row's time over its namespaces, the figure the scaling target is judged on; the marginal time per namespace, what each namespace added since the next smaller size cost, is shown beside it, free of the run's fixed start-up cost but noisier, since it is a difference of two medians.

${table(rows)}

Targets:

${targets(rows).map((t) => `- ${t}`).join("\n")}

## Where the time goes

${profileLines.join("\n")}

The SDK's own floor is what a resource costs anyone: it captures a stack trace for every resource and every promise it tracks (\`debuggablePromise\`, \`prepareStackTrace\`), and the garbage collector cleans up after it. Run with \`node --stack-trace-limit=0\`, the same 2,000-namespace rollout takes about half the time.

That floor has one part that depends on the code declaring a resource: for each resource, \`Resource.callsites()\` lifts \`Error.stackTraceLimit\` to infinity and records the whole call stack, one entry per frame, in the registration. Every frame between the caller and a child therefore costs memory per child. Measured at 2,000 namespaces × 1 service account (4,000 children, peak resident memory, 4 alternating runs): with the Secret and the patch each declared in a helper method of the component, the component peaked at 718 MB against the loop's 693 MB (1.036×); with both declared in the constructor's loop, one frame fewer each, at 703 MB (1.014×). So the constructor declares the children itself; the frame that remains, \`new RegistryCredentials\`, is what being a component costs: the SDK parses it, turns its file into a URL and sends it for every child, about 3% of the time at 2,000 namespaces × 3 service accounts, and 1–2% of peak memory. A real program adds the frames of Pulumi's runtime and of the user's own code below it, so the one frame should be a smaller share there than in this benchmark, which declares from a shallow stack (reasoned from how the SDK works, not measured).

Other choices keep the component at the floor too: it encodes the credentials once and shares that one Output among all the Secrets, rather than encoding per namespace; its children sit directly under it, with no nested component per namespace (which would add a resource, a registration and a stack frame per namespace); and it registers four small outputs, not the maps of children.

## Time before the first resource

How long the stacks program (\`stacks/\`) takes from process start to its first resource, on the mock engine, medians of 5 fresh processes; and what that makes of a \`pulumi up\`, which runs the program twice.

${startupTable(startup)}

Pulumi type-checks TypeScript programs with ts-node by default, which is the slow part. Precompiled JavaScript starts fastest, but only after a build, and a build that a deploy can skip or run stale would deploy old code. Transpile-only needs no build. So \`npm run preview|up|destroy\` run the program transpile-only (they set \`PULUMI_NODEJS_TRANSPILE_ONLY=true\`, which Pulumi's Node runtime reads), and type-checking stays where it already runs: \`npm test\` and CI (\`npm run typecheck\` on its own).
`;
}

main();
