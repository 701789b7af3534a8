/**
 * The pinned kubectl against one test cluster, through the kubeconfig its
 * `up` wrote: what the e2e suite arranges and reads a cluster with, and what
 * the cluster benchmarks run their kubectl floor and per-namespace loop with.
 */
import { strict as assert } from "assert";
import { ChildProcess, SpawnOptions, spawn, spawnSync } from "child_process";
import { Cluster } from "./controlPlane";
import { binary } from "./toolchain";

export interface KubectlResult {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** kubectl's arguments to reach one cluster, as the admin unless `as` names the deployer context. */
function clusterArgs(cluster: Cluster, as?: "deployer"): string[] {
    return [
        `--kubeconfig=${cluster.kubeconfig}`,
        `--context=${as === "deployer" ? cluster.deployerContext : cluster.adminContext}`,
    ];
}

/** The pinned kubectl against one cluster, as the admin unless `as` names the deployer context. */
export function kubectl(
    cluster: Cluster,
    args: readonly string[],
    options: { as?: "deployer"; input?: string } = {},
): KubectlResult {
    const result = spawnSync(
        binary("kubectl"),
        [...clusterArgs(cluster, options.as), "--request-timeout=30s", ...args],
        // The whole list of 1,000 namespaces' objects is tens of MB: past spawnSync's default 1 MB kubectl is killed.
        { encoding: "utf8", input: options.input, maxBuffer: 1024 * 1024 * 1024 },
    );
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** kubectl as the admin in the background, for a command that runs on (a watch) or must not block the event loop. */
export function spawnKubectl(cluster: Cluster, args: readonly string[], options: SpawnOptions): ChildProcess {
    return spawn(binary("kubectl"), [...clusterArgs(cluster), ...args], options);
}

/** kubectl as the admin, without blocking the event loop (which serves an inline program meanwhile); rejects on failure. */
export function kubectlAsync(cluster: Cluster, args: readonly string[]): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawnKubectl(cluster, args, { stdio: "ignore" });
        child.on("exit", (code) =>
            code === 0 ? resolve() : reject(new Error(`kubectl ${args.join(" ")} exited with ${code}`)),
        );
    });
}

/** kubectl that must succeed; returns stdout. */
export function kubectlOk(cluster: Cluster, ...args: string[]): string {
    const result = kubectl(cluster, args);
    assert.equal(result.status, 0, `kubectl ${args.join(" ")} failed: ${result.stderr}`);
    return result.stdout;
}

/** `kubectl apply --server-side` of one object, as the named field manager, taking conflicting fields with `force`. */
export function serverSideApply(cluster: Cluster, object: object, fieldManager: string, { force = false } = {}): void {
    const flags = [
        "apply",
        "--server-side",
        `--field-manager=${fieldManager}`,
        ...(force ? ["--force-conflicts"] : []),
        "-f",
        "-",
    ];
    const result = kubectl(cluster, flags, { input: JSON.stringify(object) });
    assert.equal(result.status, 0, `kubectl apply --server-side as ${fieldManager} failed: ${result.stderr}`);
}
