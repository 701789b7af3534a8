/**
 * The peak resident memory of a Pulumi operation's processes: the program's
 * process (the root of a tree, as `npm run up` is), the `pulumi` CLI under
 * it, and the CLI's plugins (the Kubernetes provider, the dynamic provider),
 * each on its own.
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
        entries.push({
            pid: Number(name),
            parent: Number(fields[1]),
            command: stat.slice(stat.indexOf("(") + 1, close),
            rssBytes: Number(fields[21]) * PAGE_BYTES,
        });
    }
    return entries;
}

/** The processes under `root`, each once, in breadth-first order. */
function descendants(root: number, all: readonly ProcessEntry[]): ProcessEntry[] {
    const children = new Map<number, ProcessEntry[]>();
    for (const entry of all) {
        children.set(entry.parent, [...(children.get(entry.parent) ?? []), entry]);
    }
    const found = [...(children.get(root) ?? [])];
    for (let index = 0; index < found.length; index++) {
        found.push(...(children.get(found[index].pid) ?? []));
    }
    return found;
}

/**
 * The `pulumi` CLIs under this process (`cli`), and those with all their
 * descendants, the plugins (`all`).
 */
export function pulumiProcesses(): { cli: ProcessEntry[]; all: ProcessEntry[] } {
    const all = processes();
    const cli = descendants(process.pid, all).filter((entry) => entry.command === "pulumi");
    return { cli, all: [...cli, ...cli.flatMap((entry) => descendants(entry.pid, all))] };
}

/** Resident memory in bytes of one operation's processes, by part. */
export interface TreeRss {
    /** The program's process, and anything else outside the CLI (in a terminal, `script`). */
    readonly program: number;
    /** The `pulumi` CLI alone. */
    readonly cli: number;
    /** The Kubernetes provider, pulumi-resource-kubernetes. */
    readonly kubernetes: number;
    /** Everything else the CLI started: the dynamic provider, a Node process. */
    readonly dynamic: number;
}

/** Whether a process runs pulumi-resource-kubernetes, by its command line. */
function isKubernetesProvider(pid: number): boolean {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0].endsWith("pulumi-resource-kubernetes");
    } catch {
        return false; // it exited while we looked
    }
}

function treeRss(root: number): TreeRss {
    const all = processes();
    const tree = [...all.filter((entry) => entry.pid === root), ...descendants(root, all)];
    const sum = (entries: readonly ProcessEntry[]) => entries.reduce((total, entry) => total + entry.rssBytes, 0);
    const cli = tree.filter((entry) => entry.command === "pulumi");
    const plugins = cli.flatMap((entry) => descendants(entry.pid, all));
    const kubernetes = plugins.filter((entry) => isKubernetesProvider(entry.pid));
    return {
        cli: sum(cli),
        kubernetes: sum(kubernetes),
        dynamic: sum(plugins) - sum(kubernetes),
        program: sum(tree) - sum(cli) - sum(plugins),
    };
}

/** The peaks while the tree ran: of the sum, and of each part (which may peak at other moments). */
export interface PeakRss extends TreeRss {
    readonly total: number;
}

/** The largest memory of the process `root` and everything under it, sampled until `exited` settles. */
export async function peakTreeRss(root: number, exited: Promise<unknown>): Promise<PeakRss> {
    let peak: PeakRss = { total: 0, program: 0, cli: 0, kubernetes: 0, dynamic: 0 };
    const sample = () => {
        const now = treeRss(root);
        peak = {
            total: Math.max(peak.total, now.program + now.cli + now.kubernetes + now.dynamic),
            program: Math.max(peak.program, now.program),
            cli: Math.max(peak.cli, now.cli),
            kubernetes: Math.max(peak.kubernetes, now.kubernetes),
            dynamic: Math.max(peak.dynamic, now.dynamic),
        };
    };
    sample();
    const sampler = setInterval(sample, SAMPLE_MS);
    try {
        await exited;
    } finally {
        clearInterval(sampler);
    }
    return peak;
}
