/**
 * `npm run bench:real`: the component on the real engine (the pinned Pulumi
 * CLI and provider, through the Automation API, as the e2e suite and the
 * deploy scripts run it) against a local cluster, beside the two things a
 * user would otherwise do, measured in the same run:
 *
 * - the floor: one `kubectl apply --server-side` of the same Secrets and
 *   service-account lists;
 * - the seeds' loop: `kubectl create secret docker-registry` and
 *   `kubectl patch serviceaccount`, once per namespace.
 *
 * For each size it times a first preview and rollout, a no-op preview, a
 * no-op up, a namespace added, a password rotation and destroy, with the
 * API server's count of the requests each made and its peak memory, with
 * Pulumi's defaults, with each faster setting alone (no checkpoints; the
 * provider's client at 1,000 requests a second), with both ("tuned"), and
 * with both plus `--parallel 64` or plus `PULUMI_PARALLEL_DIFF`. Writes the
 * "Real engine" section of BENCHMARKS.md.
 *
 * Usage: npm run bench:real [-- --quick] [-- --sizes 100,1000] [-- --rounds N] [-- --settings tuned,defaults] [-- --out FILE]
 *   --quick: 100 namespaces, 1 round (the default: 100, 1,000 and 2,000, 3 rounds)
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { RegistryCredentials } from "../components";
import { Cluster, kubectl, kubectlAsync, kubectlOk, serverSideApply, startCluster, stopCluster } from "../test/e2e/cluster";
import { pulumiEnv, removeScratch } from "../test/e2e/pulumiStack";
import { apiGet } from "../testcluster/controlPlane";
import { TOOLS, binary } from "../testcluster/toolchain";
import { PeakRss, peakDeploymentRss } from "./peakMemory";
import { median } from "./report";
import { REAL_ENGINE_SECTION, withSection } from "./sections";

const argument = (flag: string) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined);
const quick = process.argv.includes("--quick");
const SIZES = (argument("--sizes") ?? (quick ? "100" : "100,1000,2000")).split(",").map(Number);
const ROUNDS = Number(argument("--rounds") ?? (quick ? 1 : 3));
const OUT = argument("--out") ?? path.join(__dirname, "..", "BENCHMARKS.md");

const LOGIN = { server: "registry.example.com", username: "bench" };

/** What one variant of Pulumi's settings changes. */
export interface Settings {
    readonly name: string;
    readonly env: Record<string, string>;
    readonly provider: Partial<k8s.ProviderArgs>;
    /** `--parallel`: resource operations at once; Pulumi's default is 4 per CPU. */
    readonly parallel?: number;
}

// Each setting alone, then both: what each one buys.
export const SETTINGS: Settings[] = [
    { name: "defaults", env: {}, provider: {} },
    // No state file rewritten after every step.
    { name: "no checkpoints", env: { PULUMI_SKIP_CHECKPOINTS: "true" }, provider: {} },
    // The provider's client past its default 50 requests a second.
    { name: "client 1000/2000", env: {}, provider: { kubeClientSettings: { qps: 1000, burst: 2000 } } },
    { name: "tuned", env: { PULUMI_SKIP_CHECKPOINTS: "true" }, provider: { kubeClientSettings: { qps: 1000, burst: 2000 } } },
    // Operations that mostly wait (the provider awaits each Secret's deletion) at more than 4 per CPU.
    { name: "tuned, parallel 64", env: { PULUMI_SKIP_CHECKPOINTS: "true" }, provider: { kubeClientSettings: { qps: 1000, burst: 2000 } }, parallel: 64 },
    // The engine's diffs (one provider call per resource) run concurrently instead of one after another.
    { name: "tuned, parallel diff", env: { PULUMI_SKIP_CHECKPOINTS: "true", PULUMI_PARALLEL_DIFF: "true" }, provider: { kubeClientSettings: { qps: 1000, burst: 2000 } } },
];

/** A setting's name as a Kubernetes name part, and as --settings takes it. */
export const slug = (settings: Settings) => settings.name.replace(/[^a-z0-9]+/g, "-");

const chosen = argument("--settings")?.split(",");
const MEASURED = chosen === undefined ? SETTINGS : SETTINGS.filter((settings) => chosen.includes(slug(settings)));
if (MEASURED.length === 0) {
    throw new Error(`--settings takes some of ${SETTINGS.map(slug).join(", ")}`);
}

/** Seconds per operation, one entry per round. */
type Timings = Record<string, number[]>;

/** The API requests each operation made, by resource and verb, in the last round that measured it. */
const requestsByOperation = new Map<string, Record<string, number>>();

/** Each operation's peak memory, one entry per round. */
const peaksByOperation = new Map<string, PeakRss[]>();

export function seconds(started: bigint): number {
    return Number(process.hrtime.bigint() - started) / 1e9;
}

async function timed(cluster: Cluster, size: number, label: string, timings: Timings, work: () => Promise<void> | void): Promise<void> {
    const before = await requestCounts(cluster);
    const started = process.hrtime.bigint();
    await work();
    (timings[label] ??= []).push(seconds(started));
    const after = await requestCounts(cluster);
    const made = Object.fromEntries(Object.entries(after).map(([key, count]) => [key, count - (before[key] ?? 0)]).filter(([, count]) => (count as number) > 0));
    requestsByOperation.set(`${size} ${label}`, made);
    const peak = peaksByOperation.get(`${size} ${label}`)?.at(-1);
    process.stderr.write(`  ${label}: ${timings[label].at(-1)!.toFixed(1)} s${peak === undefined ? "" : `, peak ${describePeak(peak)} MB`}; ${describeRequests(made)}\n`);
}

/**
 * The API server's own count of requests for Secrets and service accounts
 * (`apiserver_request_total`), by resource and verb: where an operation's
 * time goes, in round trips.
 */
async function requestCounts(cluster: Cluster): Promise<Record<string, number>> {
    // A large cluster's metrics are megabytes, and a busy API server is slow to write them; try a few times.
    let { status, body } = await apiGet(cluster, "/metrics", 120_000);
    for (let attempt = 1; status !== 200 && attempt < 5; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        ({ status, body } = await apiGet(cluster, "/metrics", 120_000));
    }
    if (status !== 200) {
        throw new Error(`GET /metrics answered ${status} five times`);
    }
    const counts: Record<string, number> = {};
    for (const line of body.split("\n")) {
        const resource = /^apiserver_request_total\{.*resource="(secrets|serviceaccounts)"/.exec(line)?.[1];
        const verb = /verb="([A-Z]+)"/.exec(line)?.[1];
        if (resource !== undefined && verb !== undefined) {
            const key = `${resource} ${verb}`;
            counts[key] = (counts[key] ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
        }
    }
    return counts;
}

const megabytes = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

/** "total (program + CLI and plugins)", in MB. */
const describePeak = (peak: PeakRss) => `${megabytes(peak.total)} (${megabytes(peak.program)} + ${megabytes(peak.cli)})`;

function describeRequests(made: Record<string, number> | undefined): string {
    const entries = Object.entries(made ?? {}).sort(([a], [b]) => a.localeCompare(b));
    return entries.length === 0 ? "no requests" : entries.map(([key, count]) => `${key} ${count}`).join(", ");
}

/** Namespaces `<prefix>-<i>`, created in one apply, and waited for until each has its `default` service account. */
export async function createNamespaces(cluster: Cluster, prefix: string, count: number): Promise<string[]> {
    const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    const items = names.map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));
    serverSideApply(cluster, { apiVersion: "v1", kind: "List", items }, "bench");
    const deadline = Date.now() + 180_000;
    for (;;) {
        const listed = kubectl(cluster, ["get", "serviceaccounts", "-A", "--field-selector=metadata.name=default", "-o", "jsonpath={.items[*].metadata.namespace}"]);
        const ready = new Set(listed.stdout.split(" "));
        if (names.every((name) => ready.has(name))) {
            return names;
        }
        if (Date.now() > deadline) {
            throw new Error(`the default service accounts of ${prefix}-* did not all appear within 180 s`);
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
}

/** The floor: every Secret and service-account list in one server-side apply. */
function floor(cluster: Cluster, namespaces: string[]): void {
    const config = Buffer.from(JSON.stringify({ auths: { [LOGIN.server]: { username: LOGIN.username, password: "floor" } } })).toString("base64");
    const items = namespaces.flatMap((namespace) => [
        { apiVersion: "v1", kind: "Secret", metadata: { name: "regcred", namespace }, type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": config } },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace }, imagePullSecrets: [{ name: "regcred" }] },
    ]);
    serverSideApply(cluster, { apiVersion: "v1", kind: "List", items }, "bench-floor");
}

/** The seeds' loop: two kubectl processes per namespace. */
function loop(cluster: Cluster, namespaces: string[]): void {
    for (const namespace of namespaces) {
        kubectlOk(cluster, "create", "secret", "docker-registry", "regcred", "-n", namespace, `--docker-server=${LOGIN.server}`, `--docker-username=${LOGIN.username}`, "--docker-password=loop");
        kubectlOk(cluster, "patch", "serviceaccount", "default", "-n", namespace, "-p", '{"imagePullSecrets":[{"name":"regcred"}]}');
    }
}

/** A stack whose program is the component over `namespaces`, with the password `password.value`. */
export async function benchStack(cluster: Cluster, name: string, target: { namespaces: string[] }, settings: Settings, password: { value: string }): Promise<Stack> {
    const env = { ...pulumiEnv(cluster), ...settings.env };
    // Beside the suite's state, so that removeScratch takes it too.
    const work = path.join(path.dirname(env.PULUMI_HOME), "bench", name);
    fs.mkdirSync(work, { recursive: true });
    // The dynamic provider plugin (the component's service-account writer) finds the SDK from here.
    if (!fs.existsSync(path.join(work, "node_modules"))) {
        fs.symlinkSync(path.resolve(__dirname, "..", "node_modules"), path.join(work, "node_modules"));
    }
    fs.mkdirSync(env.PULUMI_BACKEND_URL.slice("file://".length), { recursive: true });
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(path.dirname(binary("pulumi"))) });
    return LocalWorkspace.createOrSelectStack(
        {
            stackName: name,
            projectName: "regcred-bench",
            program: async () => {
                const provider = new k8s.Provider("cluster", { kubeconfig: cluster.kubeconfig, context: cluster.adminContext, enableSecretMutable: true, ...settings.provider });
                new RegistryCredentials("regcred", { registries: [{ ...LOGIN, password: pulumi.secret(password.value) }], namespaces: target.namespaces }, { provider });
            },
        },
        { workDir: work, pulumiCommand, envVars: env, projectSettings: { name: "regcred-bench", runtime: "nodejs", backend: { url: env.PULUMI_BACKEND_URL } } },
    );
}

/** One round at one size: the floor, the loop, and each setting's operations. */
async function round(cluster: Cluster, size: number, index: number, timings: Timings): Promise<void> {
    process.stderr.write(`${size} namespaces, round ${index + 1} of ${ROUNDS}\n`);
    const tag = `r${index}-n${size}`;
    const floorNamespaces = await createNamespaces(cluster, `floor-${tag}`, size);
    await timed(cluster, size, "kubectl floor: one apply --server-side", timings, () => floor(cluster, floorNamespaces));
    if (size <= 1000) {
        const loopNamespaces = await createNamespaces(cluster, `loop-${tag}`, size);
        await timed(cluster, size, "seeds' loop: kubectl create secret + patch, per namespace", timings, () => loop(cluster, loopNamespaces));
    }
    for (const settings of MEASURED) {
        // One namespace more than the size, added after the first rollout.
        const namespaces = await createNamespaces(cluster, `${slug(settings)}-${tag}`, size + 1);
        const target = { namespaces: namespaces.slice(0, size) };
        const password = { value: "first" };
        const stack = await benchStack(cluster, `${slug(settings)}-${tag}`, target, settings, password);
        const quiet = { color: "never" as const, suppressProgress: true, parallel: settings.parallel };
        const measure = (operation: string, work: () => Promise<unknown>) => {
            const label = `${settings.name}: ${operation}`;
            return timed(cluster, size, label, timings, async () => {
                const peak = await peakDeploymentRss(async () => void (await work()));
                peaksByOperation.set(`${size} ${label}`, [...(peaksByOperation.get(`${size} ${label}`) ?? []), peak]);
            });
        };
        // `pulumi up` with its preview is the first preview and then the update.
        await measure("first preview", () => stack.preview(quiet));
        await measure("first up (no preview)", () => stack.up(quiet));
        await measure("no-op preview", () => stack.preview(quiet));
        await measure("no-op up", () => stack.up(quiet));
        target.namespaces = namespaces;
        await measure("a namespace added", () => stack.up(quiet));
        password.value = "rotated";
        await measure("rotation", () => stack.up(quiet));
        await measure("destroy", () => stack.destroy(quiet));
        await stack.workspace.removeStack(stack.name);
    }
    // Cleared away so that later rounds meet an API server of the same size; not measured.
    if (index === ROUNDS - 1 && size === SIZES.at(-1)) {
        return; // the last round: the cluster goes as a whole
    }
    const used = [floorNamespaces, ...(size <= 1000 ? [`loop-${tag}`] : []), ...MEASURED.map((settings) => `${slug(settings)}-${tag}`)];
    await deleteNamespaces(cluster, used.flatMap((prefixOrNames) => (Array.isArray(prefixOrNames) ? prefixOrNames : Array.from({ length: size + 1 }, (_, i) => `${prefixOrNames}-${i}`))));
}

/** Deleted by several kubectl processes at once: one kubectl paces its DELETEs at its client's rate, and thousands took 13 minutes. */
async function deleteNamespaces(cluster: Cluster, names: string[]): Promise<void> {
    const chunks = Array.from({ length: Math.ceil(names.length / 200) }, (_, index) => names.slice(index * 200, (index + 1) * 200));
    await Promise.all(chunks.map((chunk) => kubectlAsync(cluster, ["delete", "namespaces", "--wait=false", "--ignore-not-found", ...chunk])));
}

/** The table: medians with their spread, and each figure against the floor and the loop of the same size. */
export function realEngineTable(results: Map<number, Timings>): string {
    const lines = [
        "| size | operation | median s (min–max over rounds) | × floor | × loop | peak MB: all (program + CLI and plugins), largest round | API requests for Secrets and service accounts (last round) |",
        "|---|---|---|---|---|---|---|",
    ];
    for (const [size, timings] of results) {
        const floorTime = median(timings["kubectl floor: one apply --server-side"]);
        const loopTimes = timings["seeds' loop: kubectl create secret + patch, per namespace"];
        for (const [operation, values] of Object.entries(timings)) {
            const m = median(values);
            const spread = `${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)}`;
            const overLoop = loopTimes ? (m / median(loopTimes)).toFixed(2) : "";
            const peaks = peaksByOperation.get(`${size} ${operation}`);
            // The round with the largest total.
            const peak = peaks ? describePeak(peaks.reduce((largest, next) => (next.total > largest.total ? next : largest))) : "";
            lines.push(`| ${size} | ${operation} | ${m.toFixed(1)} (${spread}) | ${(m / floorTime).toFixed(1)} | ${overLoop} | ${peak} | ${describeRequests(requestsByOperation.get(`${size} ${operation}`))} |`);
        }
    }
    return lines.join("\n");
}

export function versions(): string {
    const cpu = os.cpus();
    const tool = (name: string) => TOOLS.find((candidate) => candidate.name === name)!.version;
    return `${cpu.length} × ${cpu[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Kubernetes ${tool("kubernetes")} (local control plane, etcd without fsync), Pulumi CLI ${tool("pulumi")}, pulumi-resource-kubernetes ${tool("pulumi-resource-kubernetes")}, @pulumi/pulumi ${require("@pulumi/pulumi/package.json").version}, Node ${process.version}`;
}

async function main(): Promise<void> {
    const cluster = await startCluster("bench");
    // An interrupted run still stops its cluster and removes its state.
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.once(signal, () => {
            stopCluster(cluster);
            removeScratch();
            process.exit(130);
        });
    }
    const results = new Map<number, Timings>();
    try {
        for (let index = 0; index < ROUNDS; index++) {
            for (const size of SIZES) {
                const timings = results.get(size) ?? {};
                results.set(size, timings);
                await round(cluster, size, index, timings);
            }
            // After every round, so that a run stopped early keeps what it measured.
            writeSection(results, index + 1);
        }
    } finally {
        stopCluster(cluster);
        removeScratch();
    }
    console.log(realEngineTable(results));
}

function writeSection(results: Map<number, Timings>, rounds: number): void {
    const section = [
        "## Real engine",
        "",
        `\`npm run bench:real${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}\`: ${SIZES.join(", ")} namespaces × the \`default\` service account, 1 registry, ${rounds === ROUNDS ? `${ROUNDS} round(s)` : `${rounds} of ${ROUNDS} rounds so far`}, on ${versions()}.`,
        'Each figure is the median over the rounds with its range; "× floor" and "× loop" are against the kubectl floor and the seeds\' loop at the same size, in the same run. "no checkpoints" is `PULUMI_SKIP_CHECKPOINTS=true`, "client 1000/2000" the provider\'s `kubeClientSettings: { qps: 1000, burst: 2000 }`, "tuned" both, "tuned, parallel 64" both with `--parallel 64` (Pulumi\'s default is 4 per CPU, here 8), and "tuned, parallel diff" both with `PULUMI_PARALLEL_DIFF=true`. The loop is measured up to 1,000 namespaces. "first preview" and "first up (no preview)" together are a first `pulumi up` with its preview. Peak memory is the largest resident memory, sampled every 200 ms, of the process running the program plus the Pulumi CLI and its plugins (the Kubernetes provider and the dynamic provider), with each part\'s own peak in brackets; the program runs in the benchmark\'s own process, as an Automation API program does. The last column is the API server\'s `apiserver_request_total` for Secrets and service accounts during the operation, by verb.',
        "",
        realEngineTable(results),
    ].join("\n");
    const existing = fs.existsSync(OUT) ? fs.readFileSync(OUT, "utf8") : "";
    fs.writeFileSync(OUT, withSection(existing, REAL_ENGINE_SECTION, section));
    process.stderr.write(`wrote ${OUT}\n`);
}

if (require.main === module) {
    main().catch((error) => {
        process.stderr.write(`${error.stack ?? error}\n`);
        process.exitCode = 1;
    });
}
