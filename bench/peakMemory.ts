/**
 * Peak resident memory of a Pulumi operation run through the Automation API:
 * this process (which hosts the inline program) plus every process under a
 * `pulumi` CLI it started (the CLI, the Kubernetes provider, the dynamic
 * provider). The local cluster's processes are this process's children too,
 * and are left out: they are the cluster, not the deployment.
 *
 * Linux only: it samples /proc every 200 ms, so a peak shorter than that can
 * be missed.
 */
import * as fs from "fs";

const PAGE_BYTES = 4096;
const SAMPLE_MS = 200;

interface ProcessEntry {
    readonly pid: number;
    readonly parent: number;
    readonly command: string;
    readonly rssBytes: number;
}

/** Every process's parent, command name and resident memory, from /proc/<pid>/stat. */
function processes(): ProcessEntry[] {
    const entries: ProcessEntry[] = [];
    for (const name of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(name)) {
            continue;
        }
        let stat: string;
        try {
            stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
        } catch {
            continue; // it exited while we looked
        }
        // "pid (command) state ppid ...": the command may hold spaces and parentheses.
        const close = stat.lastIndexOf(")");
        const fields = stat.slice(close + 2).split(" ");
        entries.push({ pid: Number(name), parent: Number(fields[1]), command: stat.slice(stat.indexOf("(") + 1, close), rssBytes: Number(fields[21]) * PAGE_BYTES });
    }
    return entries;
}

/** This process's memory and that of the `pulumi` CLIs it started, with all their descendants, in bytes. */
export function deploymentRss(): number {
    const all = processes();
    const children = new Map<number, ProcessEntry[]>();
    for (const entry of all) {
        children.set(entry.parent, [...(children.get(entry.parent) ?? []), entry]);
    }
    let total = process.memoryUsage().rss;
    const pending = (children.get(process.pid) ?? []).filter((entry) => entry.command === "pulumi");
    while (pending.length > 0) {
        const entry = pending.pop()!;
        total += entry.rssBytes;
        pending.push(...(children.get(entry.pid) ?? []));
    }
    return total;
}

/** Runs `work` and returns the largest `deploymentRss()` seen while it ran, in bytes. */
export async function peakDeploymentRss(work: () => Promise<void>): Promise<number> {
    let peak = deploymentRss();
    const sampler = setInterval(() => (peak = Math.max(peak, deploymentRss())), SAMPLE_MS);
    try {
        await work();
    } finally {
        clearInterval(sampler);
    }
    return Math.max(peak, deploymentRss());
}
