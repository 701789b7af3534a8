/**
 * `npm run bench`: the component's cost against a hand-written loop that
 * declares the same Secrets and ServiceAccountPatches, on Pulumi's mock
 * engine, from compiled JavaScript. Each measurement runs in a fresh process,
 * every row is measured once per round, and the table shows medians, and
 * ratios from the rounds' ratios with 95% intervals. Writes BENCHMARKS.md.
 *
 * Usage: npm run bench [-- --quick] [-- --rounds N]   (--quick: 10 and 100 namespaces, 3 rounds; default 20 rounds)
 */
import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { StartupRow, measureStartup } from "./startup";

type Variant = "component" | "baseline";
interface Sample {
    readonly ms: number;
    /** Resources the mock engine registered: all of them, or the time would not be the program's. */
    readonly resources: number;
    readonly rssBeforeKb: number;
    readonly maxRssKb: number;
}
interface Row {
    readonly namespaces: number;
    readonly serviceAccounts: number;
    readonly runs: number;
    readonly component: Summary;
    readonly baseline: Summary;
    /** Component over baseline, from the ratios within each round. */
    readonly timeRatio: RatioEstimate;
    readonly peakRatio: RatioEstimate;
    /** Every run, round by round, for a closer look (written to .bench/samples.json). */
    readonly samples: { readonly component: Sample[]; readonly baseline: Sample[] };
}
interface RatioEstimate {
    /** The geometric mean of the rounds' ratios. */
    readonly ratio: number;
    /** Its 95% confidence interval. */
    readonly low: number;
    readonly high: number;
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
// here varies by about 7% (standard deviation) from the next, so the ratio of
// two runs by about 10%: to know a ratio to within ±4% takes about 20 rounds.
const roundsFlag = process.argv.indexOf("--rounds");
const ROUNDS = roundsFlag >= 0 ? Number(process.argv[roundsFlag + 1]) : quick ? 3 : 20;
if (!Number.isInteger(ROUNDS) || ROUNDS < 2) {
    throw new Error(`--rounds must be a whole number of at least 2 (an interval needs two rounds), not ${process.argv[roundsFlag + 1]}`);
}
const measureScript = path.join(__dirname, "measure.js");

/** One run of bench/measure.ts in a fresh process; `nodeFlags` go to node, as for the profiler. */
function measure(variant: Variant, namespaces: number, serviceAccounts: number, nodeFlags: string[] = []): Sample {
    const args = [...nodeFlags, measureScript, variant, String(namespaces), String(serviceAccounts)];
    const result = spawnSync(process.execPath, args, { encoding: "utf8" });
    if (result.status !== 0) {
        throw new Error(`${variant} at ${namespaces} namespaces failed:\n${result.stderr}`);
    }
    const sample: Sample = JSON.parse(result.stdout.trim().split("\n").pop()!);
    // The root Stack, the component itself, and a Secret and the patches per namespace.
    const expected = 1 + (variant === "component" ? 1 : 0) + namespaces * (1 + serviceAccounts);
    if (sample.resources !== expected) {
        throw new Error(`${variant} at ${namespaces} namespaces registered ${sample.resources} resources, not ${expected}`);
    }
    return sample;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The mean and the sample standard deviation. */
function meanAndSd(values: number[]): { mean: number; sd: number } {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    return { mean, sd: Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1)) };
}

/** Student's t at 97.5% for 1 to 30 degrees of freedom; beyond, 1.96 + 2.4 / df is within 0.3%. */
const T_975 = [12.71, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/**
 * The geometric mean of ratios with its 95% confidence interval: a mean and
 * t-interval of their logarithms, so that 0.9 and 1.1 weigh alike.
 */
function estimateRatio(ratios: number[]): RatioEstimate {
    const n = ratios.length;
    const { mean, sd } = meanAndSd(ratios.map(Math.log));
    const t = n - 1 <= T_975.length ? T_975[n - 2] : 1.96 + 2.4 / (n - 1);
    const halfWidth = (t * sd) / Math.sqrt(n);
    return { ratio: Math.exp(mean), low: Math.exp(mean - halfWidth), high: Math.exp(mean + halfWidth) };
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
    return workloads.map(({ namespaces, serviceAccounts }, w) => {
        const { component, baseline } = samples[w];
        const pairedRatio = (of: (s: Sample) => number) => estimateRatio(component.map((c, round) => of(c) / of(baseline[round])));
        return {
            namespaces,
            serviceAccounts,
            runs: ROUNDS,
            component: summarize(component),
            baseline: summarize(baseline),
            timeRatio: pairedRatio((s) => s.ms),
            peakRatio: pairedRatio((s) => s.maxRssKb),
            samples: samples[w],
        };
    });
}

const fixed = (n: number, digits = 0) => n.toFixed(digits);

/** Relative standard deviation. */
function relativeSd(values: number[]): number {
    const { mean, sd } = meanAndSd(values);
    return sd / mean;
}

/** How much one run, and one round's ratio, varied at 1,000 namespaces and more: the lowest and highest row. */
function spread(rows: Row[]): { runs: string; ratios: string } {
    const large = rows.filter((r) => r.namespaces >= 1000);
    const runs = large.flatMap((r) => [r.samples.component, r.samples.baseline].map((samples) => relativeSd(samples.map((s) => s.ms))));
    const ratios = large.map((r) => relativeSd(r.samples.component.map((c, round) => c.ms / r.samples.baseline[round].ms)));
    const range = (values: number[]) => `${(Math.min(...values) * 100).toFixed(0)}% to ${(Math.max(...values) * 100).toFixed(0)}%`;
    return { runs: range(runs), ratios: range(ratios) };
}

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
        "| namespaces | service accounts | resources | runs | component ms | baseline ms | time ratio (95% interval) | component peak MB | baseline peak MB | peak ratio | component ms / namespace | marginal ms / namespace | component growth KB / namespace |",
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
            `${fixed(r.timeRatio.ratio, 3)} (${fixed(r.timeRatio.low, 3)}–${fixed(r.timeRatio.high, 3)})`,
            fixed(r.component.peakMb),
            fixed(r.baseline.peakMb),
            fixed(r.peakRatio.ratio, 3),
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
        const [time, peak] = [r.timeRatio, r.peakRatio];
        const verdict = time.ratio <= 1.05 && peak.ratio <= 1.05 ? "holds" : "MISSED";
        checks.push(`${verdict}: at ${r.namespaces} namespaces × ${r.serviceAccounts} service accounts the component costs ${time.ratio.toFixed(3)}× the baseline's time (95% interval ${time.low.toFixed(3)}–${time.high.toFixed(3)}) and ${peak.ratio.toFixed(3)}× its peak memory (${peak.low.toFixed(3)}–${peak.high.toFixed(3)}) (target ≤ 1.05×)`);
    }
    for (const serviceAccounts of SERVICE_ACCOUNTS) {
        const at = (n: number) => rows.find((r) => r.namespaces === n && r.serviceAccounts === serviceAccounts);
        const [small, large] = [at(100), at(2000)];
        if (small && large) {
            const change = (side: Variant) => msPerNamespace(large, side) / msPerNamespace(small, side) - 1;
            const [component, loop] = [change("component"), change("baseline")];
            const cheaper = component < -0.1 ? "; cheaper at scale, not dearer" : "";
            checks.push(`${Math.abs(component) <= 0.1 ? "holds" : "MISSED"}: with ${serviceAccounts} service account(s), a namespace costs ${msPerNamespace(large, "component").toFixed(2)} ms at 2,000 namespaces, ${percent(component)} from the ${msPerNamespace(small, "component").toFixed(2)} ms it costs at 100 (target within ±10%; the loop: ${percent(loop)})${cheaper}`);
        }
    }
    return checks;
}

interface CallFrame {
    readonly url: string;
    readonly functionName: string;
}

/**
 * One measurement under V8's CPU profiler: each sample taken while the clock
 * ran, with its self time in microseconds.
 */
function profiledRun(variant: Variant, namespaces: number, serviceAccounts: number): { callFrame: CallFrame; us: number }[] {
    const dir = mkdtempSync(path.join(os.tmpdir(), "regcred-profile-"));
    const { ms } = measure(variant, namespaces, serviceAccounts, ["--cpu-prof", "--cpu-prof-interval=200", `--cpu-prof-dir=${dir}`]);
    const profile = JSON.parse(readFileSync(path.join(dir, readdirSync(dir)[0]), "utf8"));
    rmSync(dir, { recursive: true, force: true });

    // The process exits as soon as the clock stops, so the timed span is the
    // profile's last `ms`, give or take the few milliseconds of exiting.
    const timedFrom = profile.endTime - (ms + 5) * 1000;
    const callFrames = new Map<number, CallFrame>(profile.nodes.map((n: { id: number; callFrame: CallFrame }) => [n.id, n.callFrame]));
    let at = profile.startTime;
    return profile.samples.flatMap((id: number, i: number) => {
        at += profile.timeDeltas[i];
        return at >= timedFrom ? [{ callFrame: callFrames.get(id)!, us: profile.timeDeltas[i] }] : [];
    });
}

/** Where the component's time goes at 1,000 namespaces × 3 service accounts: our code (components/) and the rest. */
function profile(): string[] {
    const selfTime = new Map<string, number>();
    let total = 0;
    for (const { callFrame, us } of profiledRun("component", 1000, 3)) {
        const { url, functionName } = callFrame;
        const where = url.includes("/components/") ? "components/ (this package)" : `${functionName || "(anonymous)"} ${url.replace(/^.*node_modules\//, "")}`.trim();
        selfTime.set(where, (selfTime.get(where) ?? 0) + us);
        total += us;
    }
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

/** What every resource costs in the SDK, whoever declares it: stack traces, promise bookkeeping, garbage collection. */
const SDK_FLOOR = new Set(["defaultPrepareStackTrace", "prepareStackTraceCallback", "get stack", "debuggablePromise", "(garbage collector)"]);

/**
 * What changes in a namespace's cost between 100 and 2,000 namespaces:
 * profiles of the loop's program at both sizes, split into the SDK's floor
 * and the rest.
 */
function scaleProfile(): string {
    const perNamespace = (namespaces: number, runs: number) => {
        const samples = Array.from({ length: runs }, () => profiledRun("baseline", namespaces, 1)).flat();
        const ms = (inFloor: boolean) =>
            samples.filter((s) => SDK_FLOOR.has(s.callFrame.functionName) === inFloor).reduce((sum, s) => sum + s.us, 0) / 1000 / (namespaces * runs);
        return { floor: ms(true).toFixed(2), rest: ms(false).toFixed(2) };
    };
    const [small, large] = [perNamespace(100, 6), perNamespace(2000, 3)];
    return (
        "What changes in a namespace's cost with scale, for the loop as for the component: CPU profiles of the loop's program over the timed span " +
        `(6 runs at 100 × 1, 3 runs at 2,000 × 1) put the SDK's per-resource floor, stack traces, promise bookkeeping and garbage collection, at ${small.floor} ms per namespace at 100 and ${large.floor} ms at 2,000, ` +
        `and everything else, the SDK's own JavaScript and the microtask queue, at ${small.rest} ms and ${large.rest} ms. ` +
        "The floor's garbage collection works on a larger heap at 2,000; the SDK's own JavaScript runs unoptimized until V8 finds it hot, which a program with few namespaces pays for over fewer of them."
    );
}

function machine(): string {
    const cpu = os.cpus();
    const pulumiVersion = require("@pulumi/pulumi/package.json").version;
    const k8sVersion = require("@pulumi/kubernetes/package.json").version;
    return `${cpu.length} × ${cpu[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}; Node ${process.version}, @pulumi/pulumi ${pulumiVersion}, @pulumi/kubernetes ${k8sVersion}`;
}

function main() {
    const rows = runAll(NAMESPACES.flatMap((namespaces) => SERVICE_ACCOUNTS.map((serviceAccounts) => ({ namespaces, serviceAccounts }))));
    writeFileSync(path.join(__dirname, "..", "samples.json"), JSON.stringify(rows, null, 1));
    console.log(table(rows));
    console.log(targets(rows).map((t) => `- ${t}`).join("\n"));
    if (quick) {
        return;
    }
    process.stderr.write("profiling…\n");
    const profileLines = profile();
    const scaleLine = scaleProfile();
    process.stderr.write("measuring the stacks' start-up…\n");
    const startup = measureStartup(5);
    console.log(startupTable(startup));
    writeFileSync(path.join(__dirname, "..", "..", "BENCHMARKS.md"), benchmarksMarkdown(rows, profileLines, scaleLine, startup));
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

function benchmarksMarkdown(rows: Row[], profileLines: string[], scaleLine: string, startup: StartupRow[]): string {
    const variation = spread(rows);
    return `# Benchmarks

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}. Reproduce with:

\`\`\`sh
npm ci
npm run bench
\`\`\`

Machine: ${machine()}.

## The component against a hand-written loop

Each row runs a Pulumi program on Pulumi's mock engine, from compiled JavaScript, the way Pulumi's Node runtime runs one: \`bench/program.ts\` is required inside the root Stack resource, and the run is done when every call to the engine is answered. The program declares the rollout once with \`RegistryCredentials\` and once with the loop a user would write without it: the same Secrets and ServiceAccountPatches, with the same inputs (\`test/bench.test.ts\` checks that they are the same), and every run checks that the engine registered all of them. Every run is a fresh process. The runs go in rounds, each measuring every row once, so that a change in the machine's speed falls on all rows alike; within a round the component and the baseline run back to back, alternating which goes first. Times and peaks are medians over ${rows[0]?.runs ?? ROUNDS} runs a side. A ratio is the geometric mean of the rounds' ratios, component over baseline; for time, its 95% confidence interval is shown beside it.

On this shared machine the same program's time varies a lot: in this run, at 1,000 and 2,000 namespaces, one run differed from another of the same row by ${variation.runs} (standard deviation), in CPU time as much as in wall time, while the machine was otherwise idle. Fixed V8 random and hash seeds, address-space randomization off, a fixed garbage-collection schedule, single-threaded garbage collection, or running both programs at once, one per core, did not make that smaller; a pure arithmetic loop varies by 2%, so the noise lies in memory-heavy work on this virtual machine. Much of it is the machine's speed drifting, which the two runs of a round share: a round's ratio varied by ${variation.ratios}, and the intervals in the table are what ${rows[0]?.runs ?? ROUNDS} rounds make of that.

Time runs from requiring the program until every call to the engine is answered. Peak is the process's maximum resident memory; growth is that peak less what the process held before the program started. Time per namespace is the row's time over its namespaces, the figure the scaling target is judged on; the marginal time per namespace, what each namespace added since the next smaller size cost, is shown beside it, but it is noisier, being a difference of two medians.

Why the program runs as Pulumi runs it: the SDK records the whole call stack of every resource it registers (see "Where the time goes"), so how deep the declaring code sits matters. Earlier versions of this benchmark called the two declaring functions straight from an async function, three frames deep; there the component's one frame of its own, \`new RegistryCredentials\`, was a third more stack per child, and it cost the component about 3% of time at 2,000 × 3 (1.033×, standard error 0.026, over 20 rounds). Required by Pulumi's runtime through Node's module loader, as a real program is, the loop's resources carry 13 frames and the component's children 14. How much the shape of equivalent code moves these numbers by itself, in a side experiment run the same way: at 1,000 × 3, over 10 rounds, the same loop called through one more function took 0.93× the time of the loop called directly (standard error 0.02), the loop under a plain ComponentResource 0.96×, and the component 0.98×.

${table(rows)}

Targets:

${targets(rows).map((t) => `- ${t}`).join("\n")}

${scaleLine}

## Where the time goes

${profileLines.join("\n")}

The SDK's own floor is what a resource costs anyone: it captures a stack trace for every resource and every promise it tracks (\`debuggablePromise\`, \`prepareStackTrace\`), and the garbage collector cleans up after it. Run with \`node --stack-trace-limit=0\`, the same 2,000-namespace rollout takes about half the time.

That floor has one part that depends on the code declaring a resource: for each resource, \`Resource.callsites()\` lifts \`Error.stackTraceLimit\` to infinity and records the whole call stack, one entry per frame, in the registration. Every frame between the caller and a child therefore costs memory per child. Measured at 2,000 namespaces × 1 service account in the earlier, shallow set-up (4,000 children, peak resident memory, 4 alternating runs): with the Secret and the patch each declared in a helper method of the component, the component peaked at 718 MB against the loop's 693 MB (1.036×); with both declared in the constructor's loop, one frame fewer each, at 703 MB (1.014×). So the constructor declares the children itself; the frame that remains, \`new RegistryCredentials\`, is what being a component costs: the SDK parses it, turns its file into a URL and sends it for every child. From a shallow stack that was about 3% of time; in a program run as Pulumi runs it, one frame in 14, the table above shows what is left of it.

Other choices keep the component at the floor too: it encodes the credentials once and shares that one Output among all the Secrets, rather than encoding per namespace; its children sit directly under it, with no nested component per namespace (which would add a resource, a registration and a stack frame per namespace); and it registers four small outputs, not the maps of children.

## Time before the first resource

How long the stacks program (\`stacks/\`) takes from process start to its first resource, on the mock engine, medians of 5 fresh processes; and what that makes of a \`pulumi up\`, which runs the program twice.

${startupTable(startup)}

Pulumi type-checks TypeScript programs with ts-node by default, which is the slow part. Precompiled JavaScript starts fastest, but only after a build, and a build that a deploy can skip or run stale would deploy old code. Transpile-only needs no build. So \`npm run preview|up|destroy\` run the program transpile-only (they set \`PULUMI_NODEJS_TRANSPILE_ONLY=true\`, which Pulumi's Node runtime reads), and type-checking stays where it already runs: \`npm test\` and CI (\`npm run typecheck\` on its own).
`;
}

main();
