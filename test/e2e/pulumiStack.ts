/**
 * Real `pulumi up` and `pulumi destroy` runs for the e2e suite: the pinned
 * CLI and provider, driven through the Automation API with an inline
 * program, against one test cluster. State goes to the process's throwaway
 * file backend (testcluster/scratch.ts), so no run sees another's stacks or
 * the user's.
 */
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EngineEvent, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { RegistryCredentials, RegistryCredentialsArgs } from "../../components";
import { Cluster } from "../../testcluster/controlPlane";
import { pulumiEnv, scratchDir } from "../../testcluster/scratch";
import { binary } from "../../testcluster/toolchain";

const PROJECT = "regcred-e2e";

/** A program's body, given a provider for the test cluster. */
export type TestProgram = (provider: k8s.Provider) => Record<string, unknown> | void;

export interface ProviderSettings {
    /** Default true, as the README tells users. */
    readonly enableSecretMutable?: boolean;
    /** Which of the cluster's identities deploys; default the admin. */
    readonly as?: "deployer";
    /** The provider's client settings, as the stacks set them. */
    readonly kubeClientSettings?: k8s.types.input.KubeClientSettings;
    /** Another kubeconfig file with the same contexts, for a cluster that stops answering (say). */
    readonly kubeconfig?: string;
}

/** One stack of the e2e project; `program` can be swapped between runs, as a user edits a program. */
export class TestStack {
    private program: TestProgram = () => undefined;
    private providerSettings: ProviderSettings = {};
    /** Everything the CLI printed, for failure messages. */
    public output = "";

    private constructor(public readonly stack: Stack) {}

    static async create(cluster: Cluster, name: string): Promise<TestStack> {
        fs.mkdirSync(scratchDir("state"), { recursive: true });
        const workDir = scratchDir("work", name);
        fs.mkdirSync(workDir, { recursive: true });
        // The dynamic provider plugin finds the SDK from the program's directory, as it would in a user's project.
        // A stack created again under the same name (a lost state) finds the link there already.
        fs.rmSync(path.join(workDir, "node_modules"), { force: true });
        fs.symlinkSync(path.resolve(__dirname, "../../node_modules"), path.join(workDir, "node_modules"));
        const pulumiCommand = await PulumiCommand.get({ root: path.dirname(path.dirname(binary("pulumi"))) });
        // eslint-disable-next-line prefer-const -- assigned once, below; the program reads it only when it runs
        let self: TestStack | undefined;
        const stack = await LocalWorkspace.createOrSelectStack(
            { stackName: name, projectName: PROJECT, program: async () => self!.run() },
            {
                workDir,
                pulumiCommand,
                envVars: pulumiEnv(cluster),
                projectSettings: {
                    name: PROJECT,
                    runtime: "nodejs",
                    backend: { url: `file://${scratchDir("state")}` },
                },
            },
        );
        self = new TestStack(stack);
        self.cluster = cluster;
        return self;
    }

    private cluster!: Cluster;

    private run(): Record<string, unknown> | void {
        const { enableSecretMutable = true, as, kubeClientSettings, kubeconfig } = this.providerSettings;
        const provider = new k8s.Provider("test-cluster", {
            kubeconfig: kubeconfig ?? this.cluster.kubeconfig,
            context: as === "deployer" ? this.cluster.deployerContext : this.cluster.adminContext,
            enableSecretMutable,
            kubeClientSettings,
        });
        return this.program(provider);
    }

    /** `pulumi up` of `program`; rejects with the CLI's error text. */
    async up(
        program: TestProgram,
        settings: ProviderSettings = {},
        onEvent?: (event: EngineEvent) => void,
    ): Promise<void> {
        this.program = program;
        this.providerSettings = settings;
        // As `npm run up` runs it and the README tells users: a namespace or cluster that fails holds back no other.
        const record = (out: string) => (this.output += out);
        await this.stack.up({ onOutput: record, onError: record, onEvent, color: "never", continueOnError: true });
    }

    /** `pulumi up` that must fail; returns what the user sees. */
    async upFails(program: TestProgram, settings: ProviderSettings = {}): Promise<string> {
        const start = this.output.length;
        try {
            await this.up(program, settings);
        } catch (error) {
            return `${(error as Error).message}\n${this.output.slice(start)}`;
        }
        throw new Error(`pulumi up succeeded where it should have failed:\n${this.output}`);
    }

    async preview(
        program: TestProgram,
        settings: ProviderSettings = {},
        onEvent?: (event: EngineEvent) => void,
    ): Promise<string> {
        this.program = program;
        this.providerSettings = settings;
        // In diff mode the CLI writes diagnostics to stderr: keep both, in order.
        let printed = "";
        const record = (out: string) => (printed += out);
        try {
            await this.stack.preview({ color: "never", diff: true, onEvent, onOutput: record, onError: record });
        } catch (error) {
            throw Object.assign(new Error(`${(error as Error).message}\n${printed}`), { printed });
        }
        return printed;
    }

    /** A preview that may fail (a Secret's dry-run refused): what the CLI printed, and whether it failed. */
    async previewOutput(
        program: TestProgram,
        settings: ProviderSettings = {},
    ): Promise<{ failed: boolean; output: string }> {
        try {
            return { failed: false, output: await this.preview(program, settings) };
        } catch (error) {
            return { failed: true, output: (error as Error).message };
        }
    }

    async refresh(): Promise<void> {
        await this.stack.refresh({ onOutput: (out) => (this.output += out), color: "never" });
    }

    async destroy(): Promise<void> {
        await this.stack.destroy({ onOutput: (out) => (this.output += out), color: "never", continueOnError: true });
    }

    /** Destroys what is left and removes the stack; for `finally` blocks. */
    async dispose(): Promise<void> {
        await this.destroy().catch(() => undefined);
        await this.stack.workspace.removeStack(this.stack.name, { force: true }).catch(() => undefined);
    }
}

/** The login every e2e rollout uses; tests vary only its password. */
export const E2E_LOGIN = { server: "registry.example.com", username: "e2e-user", password: "e2e-token" };

/** The component as a user declares it, on the test cluster's provider, with the E2E login. */
export function credentials(
    namespaces: RegistryCredentialsArgs["namespaces"],
    { password = E2E_LOGIN.password, ...more }: Partial<RegistryCredentialsArgs> & { password?: string } = {},
): TestProgram {
    return (provider) => {
        new RegistryCredentials(
            "regcred",
            { registries: [{ ...E2E_LOGIN, password: pulumi.secret(password) }], namespaces, ...more },
            { provider },
        );
    };
}

/** Runs `body` with a fresh stack, disposing of it afterwards whatever happens. */
export async function withStack(
    cluster: Cluster,
    name: string,
    body: (stack: TestStack) => Promise<void>,
): Promise<void> {
    const stack = await TestStack.create(cluster, name);
    try {
        await body(stack);
    } finally {
        await stack.dispose();
    }
}

export { pulumi };
