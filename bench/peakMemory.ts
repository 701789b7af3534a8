/**
 * The processes of a Pulumi operation run through the Automation API, and
 * their peak resident memory: this process (which hosts the inline program)
 * plus every process under a `pulumi` CLI it started (the CLI, the
 * Kubernetes provider, the dynamic provider). The local cluster's processes
 * are this process's children too, and are left out: they are the cluster,
 * not the deployment.
 *
 * Linux only: it samples /proc every 200 ms, so a peak shorter than that can
 * be missed.
 */
import * as fs from "fs";

const PAGE_BYTES = 4096;
const SAMPLE_MS = 200;

export interface ProcessEntry {
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

/**
 * The `pulumi` CLIs this process started (`cli`), and those with all their
 * descendants, the plugins (`all`).
 */
export function pulumiProcesses(): { cli: ProcessEntry[]; all: ProcessEntry[] } {
    const children = new Map<number, ProcessEntry[]>();
    for (const entry of processes()) {
        children.set(entry.parent, [...(children.get(entry.parent) ?? []), entry]);
    }
    const cli = (children.get(process.pid) ?? []).filter((entry) => entry.command === "pulumi");
    const all = [...cli];
    for (let index = 0; index < all.length; index++) {
        all.push(...(children.get(all[index].pid) ?? []));
    }
    return { cli, all };
}

/** Resident memory in bytes: this process (the program) and the `pulumi` CLIs it started with all their descendants. */
export interface DeploymentRss {
    readonly program: number;
    readonly cli: number;
}

export function deploymentRss(): DeploymentRss {
    const cli = pulumiProcesses().all.reduce((sum, entry) => sum + entry.rssBytes, 0);
    return { program: process.memoryUsage().rss, cli };
}

/** The peaks while `work` ran: of the sum, and of each part (which may peak at other moments). */
export interface PeakRss extends DeploymentRss {
    readonly total: number;
}

/** Runs `work` and returns the largest `deploymentRss()` seen while it ran. */
export async function peakDeploymentRss(work: () => Promise<void>): Promise<PeakRss> {
    let peak: PeakRss = { total: 0, program: 0, cli: 0 };
    const sample = () => {
        const now = deploymentRss();
        peak = { total: Math.max(peak.total, now.program + now.cli), program: Math.max(peak.program, now.program), cli: Math.max(peak.cli, now.cli) };
    };
    sample();
    const sampler = setInterval(sample, SAMPLE_MS);
    try {
        await work();
    } finally {
        clearInterval(sampler);
    }
    sample();
    return peak;
}
