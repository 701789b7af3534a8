/**
 * Loaded into every Node process of one `npm run up` by `npm run
 * bench:fixed` (bench/fixedCost.ts), through NODE_OPTIONS=--require: npm,
 * the deploy script's process and the dynamic provider's. Each process
 * appends to the file REGCRED_PHASES names, one JSON line per event, in
 * milliseconds since the epoch, on the same clock as the CLI's trace:
 *
 * - `start`: when the process began (before Node itself had started);
 * - `load`: the process's main module, and the first, outermost load of
 *   @pulumi/pulumi, of @pulumi/kubernetes and of the stacks program
 *   (stacks/program.ts);
 * - `pulumi`: each `pulumi` process the script starts, from start to exit;
 * - `exit`.
 *
 * It is compiled to JavaScript by fixedCost.ts, and changes nothing it watches.
 */
import type { ChildProcess } from "child_process";
import * as fs from "fs";
import Module = require("module");
import { performance } from "perf_hooks";

const file = process.env.REGCRED_PHASES!;
const now = () => performance.timeOrigin + performance.now();

function record(event: Record<string, unknown>): void {
    fs.appendFileSync(file, `${JSON.stringify({ pid: process.pid, script: process.argv[1], ...event })}\n`);
}

record({ event: "start", at: performance.timeOrigin });

/** What each watched load is called in the events. */
function watched(request: string, isMain: unknown): string | undefined {
    if (isMain === true) return "main";
    if (request === "@pulumi/pulumi") return "@pulumi/pulumi";
    if (request === "@pulumi/pulumi/automation/server") return "language server";
    if (/^@pulumi\/kubernetes(\/|$)/.test(request)) return "@pulumi/kubernetes";
    if (/(^|\/)program$/.test(request)) return "program";
    return undefined;
}

const loads = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const load = loads._load;
const seen = new Set<string>();
loads._load = function (request: string, ...rest: unknown[]) {
    const name = watched(request, rest[1]);
    if (name === undefined || seen.has(name)) {
        return load.call(this, request, ...rest);
    }
    seen.add(name);
    const from = now();
    try {
        return load.call(this, request, ...rest);
    } finally {
        record({ event: "load", name, from, to: now() });
    }
};

// The module itself, not an import's copy of it: the scripts call through its properties.
const childProcess = require("child_process");
const { spawn, spawnSync } = childProcess;
const isPulumi = (command: string) => command === "pulumi" || command.endsWith("/pulumi");
childProcess.spawnSync = function (command: string, ...rest: unknown[]) {
    const from = now();
    const result = (spawnSync as (...args: unknown[]) => unknown)(command, ...rest);
    if (isPulumi(command)) {
        record({ event: "pulumi", args: (rest[0] as string[]).slice(0, 2), from, to: now() });
    }
    return result;
};
childProcess.spawn = function (command: string, ...rest: unknown[]) {
    const from = now();
    const child = (spawn as (...args: unknown[]) => ChildProcess)(command, ...rest);
    if (isPulumi(command)) {
        child.on("exit", () => record({ event: "pulumi", args: (rest[0] as string[]).slice(0, 2), from, to: now() }));
    }
    return child;
};

process.on("exit", () => record({ event: "exit", at: now() }));
