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
 * API server's count of the requests each made and its peak memory. Each
 * operation runs in a process of its own, as `npm run preview|up|destroy`
 * runs (bench/operation.ts), with the README route's settings, or with the
 * settings `--settings` names (bench/settings.ts).
 *
 * The README route's run writes the "Real engine" section of BENCHMARKS.md,
 * with each target's verdict; a run with `--settings` writes "Real engine:
 * settings compared".
 *
 * Each round also times the audit (bench/auditTiming.ts) on the same size
 * of fleet, up to 2,000 namespaces, two workloads per namespace, beside one
 * `kubectl get` of the same objects, and writes the "Audit" section.
 *
 * Usage: npm run bench:real [-- --quick] [-- --sizes 100,1000] [-- --rounds N] [-- --settings all|tuned,defaults,...] [-- --audit-only] [-- --out FILE]
 *   --quick: 100 namespaces, 1 round (the default: 100, 1,000 and 2,000, 3 rounds)
 *   --audit-only: the audit and its floor alone
 */
import * as path from "path";
import { fastDefaults } from "../stacks/pulumiRun";
import { Cluster, apiGet } from "../testcluster/controlPlane";
import { kubectlOk, serverSideApply } from "../testcluster/kubectl";
import { removeScratch, startCluster, stopCluster } from "../testcluster/scratch";
import { commandLine, flagValue } from "./flags";
import { PeakRss } from "./peakMemory";
import { benchStack, createNamespaces, deleteNamespaces, runOperation, seconds, versions } from "./realStack";
import { median } from "./report";
import { AUDIT_SECTION, REAL_ENGINE_SECTION, REAL_ENGINE_SETTINGS_SECTION, writeSection } from "./sections";
import { AuditTiming, auditTable, timeAudit } from "./auditTiming";
import { LOGIN, README_ROUTE, SETTINGS, Settings, slug } from "./settings";
import { FLOOR, LOOP, realEngineVerdicts } from "./verdicts";

const quick = process.argv.includes("--quick");
const SIZES = (flagValue("--sizes") ?? (quick ? "100" : "100,1000,2000")).split(",").map(Number);
const ROUNDS = Number(flagValue("--rounds") ?? (quick ? 1 : 3));
const OUT = flagValue("--out") ?? path.join(__dirname, "..", "BENCHMARKS.md");
const AUDIT_ONLY = process.argv.includes("--audit-only");
/** The audit's two Deployments per namespace take minutes to create at 10,000; past this size only --audit-only times it. */
const AUDIT_MAX_SIZE = 2000;

const chosen = flagValue("--settings")?.split(",");
const MEASURED =
    chosen === undefined
        ? [README_ROUTE]
        : chosen.includes("all")
          ? SETTINGS
          : SETTINGS.filter((settings) => chosen.includes(slug(settings)));
if (MEASURED.length === 0) {
    throw new Error(`--settings takes all, or some of ${SETTINGS.map(slug).join(", ")}`);
}

/** Seconds per operation, one entry per round. */
type Timings = Record<string, number[]>;

/** The API requests each operation made, by resource and verb, in the last round that measured it. */
const requestsByOperation = new Map<string, Record<string, number>>();

/** Each operation's peak memory, one entry per round. */
const peaksByOperation = new Map<string, PeakRss[]>();

/** Times `work` and counts its API requests; a Pulumi operation's work returns its peak memory, which is kept too. */
async function timed(
    cluster: Cluster,
    size: number,
    label: string,
    timings: Timings,
    work: () => Promise<PeakRss | void> | void,
): Promise<void> {
    const before = await requestCounts(cluster);
    const started = process.hrtime.bigint();
    const peak = await work();
    (timings[label] ??= []).push(seconds(started));
    if (peak) {
        peaksByOperation.set(`${size} ${label}`, [...(peaksByOperation.get(`${size} ${label}`) ?? []), peak]);
    }
    const after = await requestCounts(cluster);
    const made = Object.fromEntries(
        Object.entries(after)
            .map(([key, count]) => [key, count - (before[key] ?? 0)])
            .filter(([, count]) => (count as number) > 0),
    );
    requestsByOperation.set(`${size} ${label}`, made);
    process.stderr.write(
        `  ${label}: ${timings[label].at(-1)!.toFixed(1)} s${peak ? `, peak ${describePeak(peak)} MB` : ""}; ${describeRequests(made)}\n`,
    );
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

/** "total (program + CLI + Kubernetes provider + dynamic provider)", in MB. */
const describePeak = (peak: PeakRss) =>
    `${megabytes(peak.total)} (${[peak.program, peak.cli, peak.kubernetes, peak.dynamic].map(megabytes).join(" + ")})`;

function describeRequests(made: Record<string, number> | undefined): string {
    const entries = Object.entries(made ?? {}).sort(([a], [b]) => a.localeCompare(b));
    return entries.length === 0 ? "no requests" : entries.map(([key, count]) => `${key} ${count}`).join(", ");
}

/** The floor: every Secret and service-account list in one server-side apply. */
function floor(cluster: Cluster, namespaces: string[]): void {
    const config = Buffer.from(
        JSON.stringify({ auths: { [LOGIN.server]: { username: LOGIN.username, password: "floor" } } }),
    ).toString("base64");
    const items = namespaces.flatMap((namespace) => [
        {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "regcred", namespace },
            type: "kubernetes.io/dockerconfigjson",
            data: { ".dockerconfigjson": config },
        },
        {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: { name: "default", namespace },
            imagePullSecrets: [{ name: "regcred" }],
        },
    ]);
    serverSideApply(cluster, { apiVersion: "v1", kind: "List", items }, "bench-floor");
}

/** The seeds' loop: two kubectl processes per namespace. */
function loop(cluster: Cluster, namespaces: string[]): void {
    for (const namespace of namespaces) {
        kubectlOk(
            cluster,
            "create",
            "secret",
            "docker-registry",
            "regcred",
            "-n",
            namespace,
            `--docker-server=${LOGIN.server}`,
            `--docker-username=${LOGIN.username}`,
            "--docker-password=loop",
        );
        kubectlOk(
            cluster,
            "patch",
            "serviceaccount",
            "default",
            "-n",
            namespace,
            "-p",
            '{"imagePullSecrets":[{"name":"regcred"}]}',
        );
    }
}

/** The audit's timings, by size, one entry per round. */
const auditTimings = new Map<number, AuditTiming[]>();

/** One round at one size: the audit, the floor, the loop, and each setting's operations. */
async function round(cluster: Cluster, size: number, index: number, timings: Timings): Promise<void> {
    process.stderr.write(`${size} namespaces, round ${index + 1} of ${ROUNDS}\n`);
    const tag = `r${index}-n${size}`;
    const audited = AUDIT_ONLY || size <= AUDIT_MAX_SIZE;
    if (audited) {
        auditTimings.set(size, [...(auditTimings.get(size) ?? []), await timeAudit(cluster, `audit-${tag}`, size)]);
    }
    if (AUDIT_ONLY) {
        if (!(index === ROUNDS - 1 && size === SIZES.at(-1))) {
            await deleteNamespaces(
                cluster,
                Array.from({ length: size }, (_, i) => `audit-${tag}-${i}`),
            );
        }
        return;
    }
    const floorNamespaces = await createNamespaces(cluster, `floor-${tag}`, size);
    await timed(cluster, size, FLOOR, timings, () => floor(cluster, floorNamespaces));
    if (size <= 1000) {
        const loopNamespaces = await createNamespaces(cluster, `loop-${tag}`, size);
        await timed(cluster, size, LOOP, timings, () => loop(cluster, loopNamespaces));
    }
    for (const settings of MEASURED) {
        // One namespace more than the size, added after the first rollout.
        const namespaces = await createNamespaces(cluster, `${slug(settings)}-${tag}`, size + 1);
        const target = { namespaces: namespaces.slice(0, size) };
        const password = { value: "first" };
        const stack = await benchStack(cluster, `${slug(settings)}-${tag}`, target, settings, password);
        const measure = (operation: string, command: "preview" | "up" | "destroy") =>
            timed(cluster, size, `${settings.name}: ${operation}`, timings, () =>
                runOperation(cluster, stack, command, settings, target.namespaces, password.value),
            );
        // `pulumi up` with its preview is the first preview and then the update.
        await measure("first preview", "preview");
        await measure("first up (no preview)", "up");
        await measure("no-op preview", "preview");
        await measure("no-op up", "up");
        target.namespaces = namespaces;
        await measure("a namespace added", "up");
        password.value = "rotated";
        await measure("rotation", "up");
        await measure("destroy", "destroy");
        await stack.workspace.removeStack(stack.name);
    }
    // Cleared away, and waited for, so that later sizes and rounds meet an API
    // server of the same size that is not busy deleting; not measured. (The
    // namespace controller deletes each namespace's objects one by one: left
    // running, it made hundreds of requests during every operation at 2,000.)
    if (index === ROUNDS - 1 && size === SIZES.at(-1)) {
        return; // the last round: the cluster goes as a whole
    }
    const used = [
        floorNamespaces,
        audited ? Array.from({ length: size }, (_, i) => `audit-${tag}-${i}`) : [],
        ...(size <= 1000 ? [`loop-${tag}`] : []),
        ...MEASURED.map((settings) => `${slug(settings)}-${tag}`),
    ];
    const started = process.hrtime.bigint();
    await deleteNamespaces(
        cluster,
        used.flatMap((prefixOrNames) =>
            Array.isArray(prefixOrNames)
                ? prefixOrNames
                : Array.from({ length: size + 1 }, (_, i) => `${prefixOrNames}-${i}`),
        ),
    );
    process.stderr.write(`  (namespaces deleted in ${seconds(started).toFixed(0)} s)\n`);
}

/** The table: medians with their spread, and each figure against the floor and the loop of the same size. */
export function realEngineTable(results: Map<number, Timings>): string {
    const lines = [
        "| size | operation | median s (min–max over rounds) | × floor | × loop | peak MB: all (program + CLI + Kubernetes provider + dynamic provider), largest round | API requests for Secrets and service accounts (last round) |",
        "|---|---|---|---|---|---|---|",
    ];
    for (const [size, timings] of results) {
        const floorTime = median(timings[FLOOR]);
        const loopTimes = timings[LOOP];
        for (const [operation, values] of Object.entries(timings)) {
            const m = median(values);
            const spread = `${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)}`;
            const overLoop = loopTimes ? (m / median(loopTimes)).toFixed(2) : "";
            const peaks = peaksByOperation.get(`${size} ${operation}`);
            // The round with the largest total.
            const peak = peaks
                ? describePeak(peaks.reduce((largest, next) => (next.total > largest.total ? next : largest)))
                : "";
            lines.push(
                `| ${size} | ${operation} | ${m.toFixed(1)} (${spread}) | ${(m / floorTime).toFixed(1)} | ${overLoop} | ${peak} | ${describeRequests(requestsByOperation.get(`${size} ${operation}`))} |`,
            );
        }
    }
    return lines.join("\n");
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
            if (!AUDIT_ONLY) {
                writeRealEngineSection(results, index + 1);
            }
            writeAuditSection(index + 1);
        }
    } finally {
        stopCluster(cluster);
        removeScratch();
    }
    console.log(AUDIT_ONLY ? auditTable(auditTimings) : `${realEngineTable(results)}\n\n${auditTable(auditTimings)}`);
}

/** What stacks/pulumiRun.ts adds to each command where the caller leaves it unset, as it stood for this run. */
function routeDefaults(): string {
    const commands = ["preview", "up", "destroy"] as const;
    return commands
        .map((command) => {
            const { flags, env } = fastDefaults(command, [], {});
            const added = [
                ...Object.entries(env).map(([name, value]) => `\`${name}=${value}\``),
                ...(flags.length === 0 ? [] : [`\`${flags.join(" ")}\``]),
            ];
            return `${command} ${added.length === 0 ? "nothing" : added.join(", ")}`;
        })
        .join("; ");
}

/** What a setting changes, for the section's text. */
function describeSettings(settings: Settings): string {
    const client = settings.provider.kubeClientSettings as { qps?: number; burst?: number } | undefined;
    const parts = [
        ...Object.entries(settings.env).map(([name, value]) => `\`${name}=${value}\``),
        ...(client ? [`the provider's \`kubeClientSettings: { qps: ${client.qps}, burst: ${client.burst} }\``] : []),
        ...(settings.parallel === undefined ? [] : [`\`--parallel ${settings.parallel}\``]),
        ...(settings.terminal ? ["in a terminal (`script`), where the CLI draws its progress view"] : []),
        ...(settings.attach === undefined ? [] : [`the component's \`attach: "${settings.attach}"\``]),
    ];
    return `"${settings.name}": ${parts.join(", ")}`;
}

function writeRealEngineSection(results: Map<number, Timings>, rounds: number): void {
    const byRoute = chosen === undefined;
    const measured = {
        seconds: (size: number, label: string) => results.get(size)?.[label],
        peakBytes: (size: number, label: string) =>
            peaksByOperation.get(`${size} ${label}`)?.reduce((largest, peak) => Math.max(largest, peak.total), 0),
        requests: (size: number, label: string) => requestsByOperation.get(`${size} ${label}`),
    };
    const verdicts = MEASURED.includes(README_ROUTE) ? realEngineVerdicts(measured, README_ROUTE.name) : [];
    const section = [
        byRoute ? "## Real engine" : "## Real engine: settings compared",
        "",
        `\`${commandLine("bench:real")}\`: ${SIZES.join(", ")} namespaces × the \`default\` service account, 1 registry, ${rounds === ROUNDS ? `${ROUNDS} round(s)` : `${rounds} of ${ROUNDS} rounds so far`}, on ${versions()}.`,
        'Each figure is the median over the rounds with its range; "× floor" and "× loop" are against the kubectl floor and the seeds\' loop at the same size, in the same run. The loop is measured up to 1,000 namespaces.',
        'Each Pulumi operation runs in a process of its own through stacks/pulumiRun.ts (bench/operation.ts), `up` and `destroy` with `--yes --skip-preview`, the CLI\'s output going to a log file, so each time includes starting Node and loading the program. "first preview" and "first up (no preview)" together are a first `pulumi up` with its preview.',
        `The settings: ${MEASURED.map(describeSettings).join("; ")}. What a setting leaves unset, stacks/pulumiRun.ts set: ${routeDefaults()}.`,
        "Peak memory is the largest resident memory, sampled every 200 ms, of the operation's processes together: the program's process, the `pulumi` CLI, and its plugins, the Kubernetes provider and the dynamic provider, with each process's own peak in brackets. The last column is the API server's `apiserver_request_total` for Secrets and service accounts during the operation, by verb.",
        "",
        ...(verdicts.length === 0
            ? []
            : [
                  `The targets, for the README route${rounds === ROUNDS ? "" : " (from the rounds so far)"}:`,
                  "",
                  ...verdicts,
                  "",
              ]),
        realEngineTable(results),
    ].join("\n");
    writeSection(OUT, byRoute ? REAL_ENGINE_SECTION : REAL_ENGINE_SETTINGS_SECTION, section);
}

function writeAuditSection(rounds: number): void {
    const section = [
        "## Audit",
        "",
        `\`${commandLine("bench:real")}\`: \`auditCluster\` on ${SIZES.join(", ")} namespaces, each with the component's Secret and entry and two Deployments (\`replicas: 0\`; one covered by its service account, one naming a pull secret that does not exist, so one finding per namespace), ${rounds === ROUNDS ? `${ROUNDS} round(s)` : `${rounds} of ${ROUNDS} rounds so far`}, on ${versions()}.`,
        "The floor is one `kubectl get` of the same kinds (namespaces, secrets, serviceaccounts, pods, deployments, statefulsets, daemonsets, replicasets, jobs, cronjobs), all namespaces, as JSON: what any audit must at least read. The audit runs in this process (no Node start-up); the floor includes kubectl's start-up.",
        "",
        auditTable(auditTimings),
    ].join("\n");
    writeSection(OUT, AUDIT_SECTION, section);
}

if (require.main === module) {
    main().catch((error) => {
        process.stderr.write(`${error.stack ?? error}\n`);
        process.exitCode = 1;
    });
}
