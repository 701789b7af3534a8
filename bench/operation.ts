/**
 * One Pulumi operation of `npm run bench:real`, in a process of its own, as
 * `npm run preview|up|destroy` runs one: the program served from this
 * process to the plain CLI, through the same stacks/pulumiRun.ts. So each
 * operation's time and memory include starting Node and loading the program,
 * and no operation inherits another's heap.
 *
 * real.ts starts it as `node -r ./stacks/transpileCache.js
 * bench/operation.ts <spec.json>`, as the npm scripts start theirs, with
 * the stack already created.
 */
import * as fs from "fs";
import { runPulumi } from "../stacks/pulumiRun";
import { Cluster } from "../testcluster/controlPlane";
import { benchProgram, settingsNamed } from "./settings";

export interface OperationSpec {
    readonly command: "preview" | "up" | "destroy";
    readonly cluster: Cluster;
    /** The stack's project folder and name, made by the benchmark. */
    readonly workDir: string;
    readonly stack: string;
    /** The CLI's environment: the benchmark's tools, home and backend. */
    readonly env: Record<string, string>;
    readonly settings: string;
    readonly namespaces: readonly string[];
    readonly password: string;
    /** Where the CLI's output goes, outside a terminal. */
    readonly log: string;
}

/** The CLI's flags for an operation: `up` and `destroy` without their preview, as the table's rows are split. */
function operationFlags(command: OperationSpec["command"], parallel: number | undefined): string[] {
    return [
        ...(command === "preview" ? [] : ["--yes", "--skip-preview"]),
        ...(parallel === undefined ? [] : ["--parallel", String(parallel)]),
    ];
}

async function main(specFile: string): Promise<number> {
    const spec: OperationSpec = JSON.parse(fs.readFileSync(specFile, "utf8"));
    const settings = settingsNamed(spec.settings);
    const log = settings.terminal ? undefined : fs.openSync(spec.log, "w");
    return runPulumi({
        command: spec.command,
        stack: spec.stack,
        flags: operationFlags(spec.command, settings.parallel),
        cwd: spec.workDir,
        env: { ...process.env, ...spec.env, ...settings.env },
        program: benchProgram(spec.cluster, spec.namespaces, settings, spec.password),
        stdio: log === undefined ? "inherit" : ["ignore", log, log],
    });
}

if (require.main === module) {
    void main(process.argv[2]).then((code) => (process.exitCode = code));
}
