/**
 * How long the stacks program takes to reach its first resource: through
 * ts-node as Pulumi runs TypeScript by default (type-checking), through
 * ts-node without type-checking, and as precompiled JavaScript. Each start
 * is a fresh process on Pulumi's mock engine; the figures are medians.
 */
import { spawnSync } from "child_process";
import { mkdtempSync, rmSync } from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { median } from "./report";

export interface StartupRow {
    readonly how: string;
    readonly ms: number;
}

const root = path.join(__dirname, "..", "..");
const config = {
    "registry-credentials:namespaces": JSON.stringify(["team-a", "team-b"]),
    "registry-credentials:registries": JSON.stringify([
        { server: "ghcr.io", username: "bench-bot", password: "bench-password" },
    ]),
};
const variants: { how: string; args: string[] }[] = [
    {
        how: "ts-node, type-checking (Pulumi's default for TypeScript)",
        args: ["-r", "ts-node/register", "bench/startupEntry.ts"],
    },
    { how: "ts-node, transpile-only", args: ["-r", "ts-node/register/transpile-only", "bench/startupEntry.ts"] },
    { how: "precompiled JavaScript", args: [path.join(__dirname, "startupEntry.js")] },
];

function start(args: string[]): number {
    const result = spawnSync(process.execPath, args, {
        cwd: root,
        encoding: "utf8",
        env: {
            ...process.env,
            PULUMI_CONFIG: JSON.stringify(config),
            PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(["registry-credentials:registries"]),
        },
    });
    // Stopping at the first resource leaves the SDK's promises pending, and its
    // exit hook reports them with exit code 1: the printed line is the result.
    const line = result.stdout.trim().split("\n").pop() ?? "";
    if (!line.startsWith("{")) {
        throw new Error(`starting ${args.join(" ")} failed:\n${result.stderr}`);
    }
    return JSON.parse(line).firstResourceMs;
}

/** What precompiling costs first: emitting the program's JavaScript, without type-checking. */
function build(): number {
    const outDir = mkdtempSync(path.join(os.tmpdir(), "regcred-build-"));
    const started = performance.now();
    const result = spawnSync(
        process.execPath,
        [require.resolve("typescript/bin/tsc"), "-p", "bench/tsconfig.json", "--noCheck", "--outDir", outDir],
        { cwd: root, encoding: "utf8" },
    );
    const ms = performance.now() - started;
    rmSync(outDir, { recursive: true, force: true });
    if (result.status !== 0) {
        throw new Error(`the build failed:\n${result.stdout}${result.stderr}`);
    }
    return ms;
}

export function measureStartup(runs: number): StartupRow[] {
    const samples = variants.map(() => [] as number[]);
    for (let i = 0; i < runs; i++) {
        variants.forEach((variant, v) => samples[v].push(start(variant.args)));
    }
    const builds = Array.from({ length: runs }, build);
    return [
        ...variants.map((variant, v) => ({ how: variant.how, ms: median(samples[v]) })),
        { how: "building that JavaScript first (tsc --noCheck)", ms: median(builds) },
    ];
}
