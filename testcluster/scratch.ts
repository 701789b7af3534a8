/**
 * What one process of the e2e suite or of a cluster benchmark owns, and
 * removes when it ends: clusters named for the process, so that nothing else
 * on the machine is touched, and a Pulumi home and file state backend in a
 * temporary folder, so that no run sees another's stacks or the user's.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Cluster, UpOptions, down, up } from "./controlPlane";
import { ensureTools, toolPath } from "./toolchain";

const log = (line: string) => process.stderr.write(`      ${line}\n`);

/** Starts a cluster named for this process, building the pinned tools first if they are missing; stop it when done. */
export async function startCluster(suffix: string, options: UpOptions = {}): Promise<Cluster> {
    ensureTools(log);
    return up(`e2e-${process.pid}-${suffix}`, log, options);
}

export function stopCluster(cluster: Cluster | undefined): void {
    if (cluster !== undefined) {
        down(cluster.name);
    }
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "regcred-e2e-"));

/** A path in this process's scratch folder, which `removeScratch` removes. */
export function scratchDir(...parts: string[]): string {
    return path.join(scratch, ...parts);
}

/** Removes the process's state backend and Pulumi home; call it last. */
export function removeScratch(): void {
    fs.rmSync(scratch, { recursive: true, force: true });
}

/** The environment every CLI run gets: offline, with the pinned tools first on PATH, and the scratch folder's home and backend. */
export function pulumiEnv(cluster: Cluster): Record<string, string> {
    return {
        KUBECONFIG: cluster.kubeconfig,
        PATH: [...toolPath(), process.env.PATH].join(":"),
        PULUMI_HOME: scratchDir("home"),
        PULUMI_BACKEND_URL: `file://${scratchDir("state")}`,
        PULUMI_CONFIG_PASSPHRASE: "e2e-only",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
}
