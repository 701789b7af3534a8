/**
 * `npm run audit -- <stack> [--json]`: each cluster of the stack against
 * what the stack declares there (components/audit.ts): Secrets missing,
 * of the wrong type or stale, missing entries, orphans, workload images
 * the pull secrets do not cover, Pods failing to pull.
 *
 * It reads the stack's config as `up` does, through the Pulumi CLI (so a
 * stack with secure values needs its passphrase, PULUMI_CONFIG_PASSPHRASE,
 * and nothing more), and the clusters with get and list only. Nothing is
 * written anywhere, and no value of a Secret is printed.
 *
 * Exit status: 0 when every namespace, entry and image is as declared and
 * covered; 1 when something is not; 2 when the stack or a cluster could not
 * be read (the other clusters are still audited).
 */
import { spawnSync } from "child_process";
import { AuditReport, auditCluster, kubeconfigFileFor } from "../components";
import { withLocalSalt } from "./localSalt";
import { readDockerConfig } from "./program";
import { ConfigSource, StackSettings, resolveStack } from "./stackConfig";
import { PROJECT_DIR, projectName, readStackFile, stackFile } from "./stackFiles";

const USAGE = "usage: npm run audit -- <stack> [--json]";

/** One cluster's audit, or why it could not be read. */
export interface ClusterAudit {
    readonly cluster: string;
    readonly report?: AuditReport;
    readonly error?: string;
}

async function main(argv: readonly string[]): Promise<number> {
    const json = argv.includes("--json");
    const positional = argv.filter((arg) => !arg.startsWith("-"));
    const unknown = argv.filter((arg) => arg.startsWith("-") && arg !== "--json");
    if (positional.length !== 1 || unknown.length > 0) {
        process.stderr.write(`${USAGE}\n`);
        return 2;
    }
    const [stack] = positional;
    let source: ConfigSource;
    let settings: StackSettings;
    try {
        stackFile(stack);
        source = stackConfig(stack);
        settings = resolveStack(source, (file) => readDockerConfig(file, stack, {}));
    } catch (error) {
        process.stderr.write(`error: ${(error as Error).message}\n`);
        return 2;
    }
    const audits: ClusterAudit[] = await Promise.all(
        settings.rollouts.map(async ({ cluster, componentName, args }) => {
            try {
                const report = await auditCluster({
                    cluster: { context: cluster.context, kubeconfig: kubeconfigFileFor(cluster.context) },
                    componentName,
                    args,
                    project: source.project,
                    stack,
                });
                return { cluster: cluster.key, report };
            } catch (error) {
                return { cluster: cluster.key, error: (error as Error).message };
            }
        }),
    );
    process.stdout.write(json ? `${JSON.stringify({ stack, clusters: audits }, null, 2)}\n` : auditTable(audits));
    return auditStatus(audits);
}

/** 0 when everything is covered, 1 when something is not, 2 when a cluster could not be read. */
export function auditStatus(audits: readonly ClusterAudit[]): number {
    if (audits.some((audit) => audit.error !== undefined)) {
        return 2;
    }
    return audits.some((audit) => (audit.report?.findings.length ?? 0) > 0) ? 1 : 0;
}

/** The audit as a person reads it: per cluster, a summary line and one aligned row per finding. */
export function auditTable(audits: readonly ClusterAudit[]): string {
    const lines: string[] = [];
    const n = (count: number, noun: string) => `${count.toLocaleString("en-US")} ${noun}${count === 1 ? "" : "s"}`;
    for (const { cluster, report, error } of audits) {
        if (report === undefined) {
            lines.push(`${cluster}: not audited: ${error}`, "");
            continue;
        }
        const found = report.findings.length;
        lines.push(
            `${cluster}: ${n(report.namespaces.length, "namespace")} in scope, ${n(report.workloads, "workload")}, ` +
                `${n(report.images, "image")} from the stack's registries: ${found === 0 ? "everything is in place and covered" : n(found, "problem")}`,
        );
        if (found > 0) {
            const rows = [
                ["NAMESPACE", "OBJECT", "CONTAINER", "IMAGE", "PROBLEM"],
                ...report.findings.map((f) => [
                    f.namespace,
                    f.object,
                    f.container ?? "-",
                    f.image ?? "-",
                    `${f.problem}: ${f.reason}`,
                ]),
            ];
            const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
            for (const row of rows) {
                lines.push(
                    `  ${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join("  ")}`,
                );
            }
        }
        lines.push("");
    }
    return lines.join("\n");
}

/**
 * The stack's config with its secure values decrypted, as the CLI hands
 * it to `up`: `pulumi config --show-secrets --json`, in memory only.
 */
function stackConfig(stack: string): ConfigSource {
    const project = projectName();
    const { created, configFile } = withLocalSalt(stack, () =>
        spawnSync("pulumi", ["stack", "select", stack], { cwd: PROJECT_DIR, encoding: "utf8" }),
    );
    if (created.status !== 0) {
        throw new Error(
            `the stack ${stack} cannot be selected${created.error ? ` (${created.error.message})` : `: ${created.stderr.trim()}`}; run \`npm run up -- ${stack}\` first`,
        );
    }
    const shown = spawnSync(
        "pulumi",
        ["config", "--show-secrets", "--json", "--stack", stack, ...(configFile ? ["--config-file", configFile] : [])],
        { cwd: PROJECT_DIR, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
    if (shown.status !== 0) {
        throw new Error(`cannot read the stack's config: ${shown.stderr.trim()}`);
    }
    const entries = Object.entries(JSON.parse(shown.stdout) as Record<string, { value?: unknown; secret?: boolean }>);
    const file = readStackFile(project, stack);
    return {
        project,
        stack,
        values: Object.fromEntries(
            entries.map(([key, { value }]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
        ),
        secretKeys: new Set(entries.filter(([, { secret }]) => secret).map(([key]) => key)),
        stackFile: { keys: new Set(Object.keys(file.values)), securePaths: new Set(file.securePaths) },
    };
}

if (require.main === module) {
    void main(process.argv.slice(2)).then(
        (code) => (process.exitCode = code),
        (error) => {
            process.stderr.write(`audit failed: ${error instanceof Error ? error.message : String(error)}\n`);
            process.exitCode = 2;
        },
    );
}
