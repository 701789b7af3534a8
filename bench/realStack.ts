/**
 * What the cluster benchmarks (real.ts and interrupted.ts) share: the
 * namespaces they roll out to, a stack of the component in the benchmark's
 * own backend, and the two ways to run it: in this process through the
 * Automation API (`benchStack`), or each operation in a process of its own
 * as `npm run up` runs (`runOperation`).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { fastDefaults } from "../stacks/pulumiRun";
import { Cluster } from "../testcluster/controlPlane";
import { kubectl, kubectlAsync, serverSideApply } from "../testcluster/kubectl";
import { pulumiEnv, scratchDir } from "../testcluster/scratch";
import { TOOLS, binary } from "../testcluster/toolchain";
import { waitFor } from "../testcluster/waitFor";
import { OperationSpec } from "./operation";
import { PeakRss, peakTreeRss } from "./peakMemory";
import { Settings, benchProgram } from "./settings";

export function seconds(started: bigint): number {
    return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Namespaces `<prefix>-<i>`, created in one apply, and waited for until each has its `default` service account. */
export async function createNamespaces(cluster: Cluster, prefix: string, count: number): Promise<string[]> {
    const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    const items = names.map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));
    serverSideApply(cluster, { apiVersion: "v1", kind: "List", items }, "bench");
    let missing = names.length;
    await waitFor(
        () => {
            const listed = kubectl(cluster, [
                "get",
                "serviceaccounts",
                "-A",
                "--field-selector=metadata.name=default",
                "-o",
                "jsonpath={.items[*].metadata.namespace}",
            ]);
            const ready = new Set(listed.stdout.split(" "));
            missing = names.filter((name) => !ready.has(name)).length;
            return missing === 0;
        },
        {
            awaited: `the default service accounts of ${prefix}-*`,
            timeoutMs: 180_000,
            intervalMs: 500,
            lastSeen: () => `${missing} of ${names.length} still missing`,
        },
    );
    return names;
}

/**
 * Deleted by several kubectl processes at once (one kubectl paces its DELETEs
 * at its client's rate, and thousands took 13 minutes), then waited for until
 * every one is gone.
 */
export async function deleteNamespaces(cluster: Cluster, names: string[]): Promise<void> {
    const chunks = Array.from({ length: Math.ceil(names.length / 200) }, (_, index) =>
        names.slice(index * 200, (index + 1) * 200),
    );
    await Promise.all(
        chunks.map((chunk) =>
            kubectlAsync(cluster, ["delete", "namespaces", "--wait=false", "--ignore-not-found", ...chunk]),
        ),
    );
    const deleted = new Set(names);
    let left = names.length;
    await waitFor(
        () => {
            left = kubectl(cluster, ["get", "namespaces", "-o", "name"])
                .stdout.split("\n")
                .filter((line) => deleted.has(line.replace("namespace/", ""))).length;
            return left === 0;
        },
        {
            awaited: `the ${names.length} deleted namespaces to go`,
            timeoutMs: 60 * 60 * 1000,
            intervalMs: 5000,
            lastSeen: () => `${left} still there`,
        },
    );
}

/** A stack whose program is the component over `namespaces`, with the password `password.value`, run in this process. */
export async function benchStack(
    cluster: Cluster,
    name: string,
    target: { namespaces: string[] },
    settings: Settings,
    password: { value: string },
): Promise<Stack> {
    const env = pulumiEnv(cluster);
    // In the process's scratch folder, so that removeScratch takes it too.
    const work = scratchDir("bench", name);
    fs.mkdirSync(work, { recursive: true });
    // The dynamic provider plugin (the component's service-account writer) finds the SDK from here.
    if (!fs.existsSync(path.join(work, "node_modules"))) {
        fs.symlinkSync(path.resolve(__dirname, "..", "node_modules"), path.join(work, "node_modules"));
    }
    fs.mkdirSync(scratchDir("state"), { recursive: true });
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(path.dirname(binary("pulumi"))) });
    // Each run reads the target and password as they are then.
    const program = () => benchProgram(cluster, target.namespaces, settings, password.value)();
    return LocalWorkspace.createOrSelectStack(
        { stackName: name, projectName: "regcred-bench", program },
        {
            workDir: work,
            pulumiCommand,
            // The route's defaults, as runOperation's processes get them.
            envVars: fastDefaults("up", [], { ...env, ...settings.env }).env as Record<string, string>,
            projectSettings: { name: "regcred-bench", runtime: "nodejs", backend: { url: env.PULUMI_BACKEND_URL } },
        },
    );
}

/**
 * Runs one operation on a stack `benchStack` made, in a process of its own
 * (bench/operation.ts), and returns the peak memory of that process and
 * everything under it: the program's process, the CLI and its plugins.
 */
export async function runOperation(
    cluster: Cluster,
    stack: Stack,
    command: OperationSpec["command"],
    settings: Settings,
    namespaces: readonly string[],
    password: string,
): Promise<PeakRss> {
    const workDir = stack.workspace.workDir;
    const log = path.join(workDir, `${command}.log`);
    const spec: OperationSpec = {
        command,
        cluster,
        workDir,
        stack: stack.name,
        env: pulumiEnv(cluster),
        settings: settings.name,
        namespaces,
        password,
        log,
    };
    const specFile = path.join(workDir, "operation.json");
    fs.writeFileSync(specFile, JSON.stringify(spec));
    const node = [
        process.execPath,
        // As the npm scripts start the deploy scripts.
        "-r",
        path.join(__dirname, "..", "stacks", "transpileCache.js"),
        path.join(__dirname, "operation.ts"),
        specFile,
    ];
    // `script` gives the operation a pseudo-terminal, and keeps what is drawn on it in the log.
    const child = settings.terminal
        ? spawn("script", ["--quiet", "--return", "--command", node.map(shellQuoted).join(" "), log], {
              cwd: path.join(__dirname, ".."),
              stdio: "ignore",
          })
        : spawn(node[0], node.slice(1), { cwd: path.join(__dirname, ".."), stdio: "ignore" });
    const exited = new Promise<number>((resolve) =>
        child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1))),
    );
    const peak = await peakTreeRss(child.pid!, exited);
    const status = await exited;
    if (status !== 0) {
        const output = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").slice(-30).join("\n") : "(no log)";
        throw new Error(`${settings.name}: pulumi ${command} on ${stack.name} exited with ${status}:\n${output}`);
    }
    return peak;
}

const shellQuoted = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;

export function versions(): string {
    const cpu = os.cpus();
    const tool = (name: string) => TOOLS.find((candidate) => candidate.name === name)!.version;
    return `${cpu.length} × ${cpu[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Kubernetes ${tool("kubernetes")} (local control plane, etcd without fsync), Pulumi CLI ${tool("pulumi")}, pulumi-resource-kubernetes ${tool("pulumi-resource-kubernetes")}, @pulumi/pulumi ${require("@pulumi/pulumi/package.json").version}, Node ${process.version}`;
}
