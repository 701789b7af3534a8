/**
 * What the cluster benchmarks (real.ts and interrupted.ts) share: the
 * settings they compare, the namespaces they roll out to, and a stack of the
 * component run through the pinned CLI with the Automation API.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { RegistryCredentials } from "../components";
import { Cluster, kubectl, serverSideApply } from "../test/e2e/cluster";
import { pulumiEnv } from "../test/e2e/pulumiStack";
import { TOOLS, binary } from "../testcluster/toolchain";

export const LOGIN = { server: "registry.example.com", username: "bench" };

/** What one variant of Pulumi's settings changes. */
export interface Settings {
    readonly name: string;
    readonly env: Record<string, string>;
    readonly provider: Partial<k8s.ProviderArgs>;
    /** `--parallel`: resource operations at once; Pulumi's default is 4 per CPU. */
    readonly parallel?: number;
}

// Each setting alone, then both: what each one buys.
export const SETTINGS: Settings[] = [
    { name: "defaults", env: {}, provider: {} },
    // No state file rewritten after every step.
    { name: "no checkpoints", env: { PULUMI_SKIP_CHECKPOINTS: "true" }, provider: {} },
    // The provider's client past its default 50 requests a second.
    { name: "client 1000/2000", env: {}, provider: { kubeClientSettings: { qps: 1000, burst: 2000 } } },
    { name: "tuned", env: { PULUMI_SKIP_CHECKPOINTS: "true" }, provider: { kubeClientSettings: { qps: 1000, burst: 2000 } } },
    // Operations that mostly wait (the provider awaits each Secret's deletion) at more than 4 per CPU.
    { name: "tuned, parallel 64", env: { PULUMI_SKIP_CHECKPOINTS: "true" }, provider: { kubeClientSettings: { qps: 1000, burst: 2000 } }, parallel: 64 },
    // The engine's diffs (one provider call per resource) run concurrently instead of one after another.
    { name: "tuned, parallel diff", env: { PULUMI_SKIP_CHECKPOINTS: "true", PULUMI_PARALLEL_DIFF: "true" }, provider: { kubeClientSettings: { qps: 1000, burst: 2000 } } },
];

/** A setting's name as a Kubernetes name part, and as --settings takes it. */
export const slug = (settings: Settings) => settings.name.replace(/[^a-z0-9]+/g, "-");

export function seconds(started: bigint): number {
    return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Namespaces `<prefix>-<i>`, created in one apply, and waited for until each has its `default` service account. */
export async function createNamespaces(cluster: Cluster, prefix: string, count: number): Promise<string[]> {
    const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    const items = names.map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));
    serverSideApply(cluster, { apiVersion: "v1", kind: "List", items }, "bench");
    const deadline = Date.now() + 180_000;
    for (;;) {
        const listed = kubectl(cluster, ["get", "serviceaccounts", "-A", "--field-selector=metadata.name=default", "-o", "jsonpath={.items[*].metadata.namespace}"]);
        const ready = new Set(listed.stdout.split(" "));
        if (names.every((name) => ready.has(name))) {
            return names;
        }
        if (Date.now() > deadline) {
            throw new Error(`the default service accounts of ${prefix}-* did not all appear within 180 s`);
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
}

/** A stack whose program is the component over `namespaces`, with the password `password.value`. */
export async function benchStack(cluster: Cluster, name: string, target: { namespaces: string[] }, settings: Settings, password: { value: string }): Promise<Stack> {
    const env = { ...pulumiEnv(cluster), ...settings.env };
    // Beside the suite's state, so that removeScratch takes it too.
    const work = path.join(path.dirname(env.PULUMI_HOME), "bench", name);
    fs.mkdirSync(work, { recursive: true });
    // The dynamic provider plugin (the component's service-account writer) finds the SDK from here.
    if (!fs.existsSync(path.join(work, "node_modules"))) {
        fs.symlinkSync(path.resolve(__dirname, "..", "node_modules"), path.join(work, "node_modules"));
    }
    fs.mkdirSync(env.PULUMI_BACKEND_URL.slice("file://".length), { recursive: true });
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(path.dirname(binary("pulumi"))) });
    return LocalWorkspace.createOrSelectStack(
        {
            stackName: name,
            projectName: "regcred-bench",
            program: async () => {
                const provider = new k8s.Provider("cluster", { kubeconfig: cluster.kubeconfig, context: cluster.adminContext, enableSecretMutable: true, ...settings.provider });
                new RegistryCredentials("regcred", { registries: [{ ...LOGIN, password: pulumi.secret(password.value) }], namespaces: target.namespaces }, { provider });
            },
        },
        { workDir: work, pulumiCommand, envVars: env, projectSettings: { name: "regcred-bench", runtime: "nodejs", backend: { url: env.PULUMI_BACKEND_URL } } },
    );
}

export function versions(): string {
    const cpu = os.cpus();
    const tool = (name: string) => TOOLS.find((candidate) => candidate.name === name)!.version;
    return `${cpu.length} × ${cpu[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Kubernetes ${tool("kubernetes")} (local control plane, etcd without fsync), Pulumi CLI ${tool("pulumi")}, pulumi-resource-kubernetes ${tool("pulumi-resource-kubernetes")}, @pulumi/pulumi ${require("@pulumi/pulumi/package.json").version}, Node ${process.version}`;
}
