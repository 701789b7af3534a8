/**
 * `npm run preview|up|destroy -- <stack> [pulumi flags...]`: the Pulumi CLI
 * on a named stack, from the repository root (where the relative file://
 * backend in Pulumi.yaml points). The stack is created in the local backend,
 * with the passphrase secrets provider, the first time it is used.
 *
 * The program runs in this process, not in a Node language host: the CLI is
 * pointed at an in-process language server with `--client`, as the Automation
 * API does for an inline program. Everything else is the plain CLI: its
 * flags, its prompts and its output. So no `pulumi-language-nodejs` plugin is
 * needed, and the program is loaded the way this script is, transpile-only.
 *
 * Two of the CLI's defaults are changed for rollouts to many namespaces
 * (README, "Many namespaces"), each unless the caller sets it:
 * `PULUMI_SKIP_CHECKPOINTS=true`, and `--parallel 64` for destroy.
 */
import { spawn, spawnSync } from "child_process";
import { PROJECT_DIR, stackFile } from "./stackFiles";

const COMMANDS = ["preview", "up", "destroy"];

const INSTALL_HINT =
    "The pulumi CLI is not on your PATH: install it with `curl -fsSL https://get.pulumi.com | sh` (or see https://www.pulumi.com/docs/iac/download-install/), or use the pinned one of the local test cluster: eval \"$(npm run -s cluster -- env)\". `npm run render -- <stack>` works without it.";

/**
 * Resource operations at once for destroy, where most of a Secret's delete is
 * waiting for the provider's check that it is gone: twice as fast as the CLI's
 * default of 4 per CPU. For preview and up it bought nothing measurable and
 * made a rotation slower (BENCHMARKS.md, "Real engine").
 */
const DESTROY_PARALLEL = "64";

/** Flags and environment for the CLI: ours, where the caller's flags and environment leave them unset. */
function fastDefaults(command: string, flags: readonly string[], env: NodeJS.ProcessEnv): { flags: string[]; env: NodeJS.ProcessEnv } {
    const setsParallel = flags.some((flag) => /^(--parallel|-p)(=|$)|^-p\d+$/.test(flag));
    return {
        flags: command === "destroy" && !setsParallel ? ["--parallel", DESTROY_PARALLEL, ...flags] : [...flags],
        // The state is written once, at the end, instead of after every step (README, "Many namespaces", for what a crash then leaves).
        env: { PULUMI_SKIP_CHECKPOINTS: "true", ...env },
    };
}

async function main(argv: readonly string[]): Promise<number> {
    const [command, stack, ...flags] = argv;
    if (!COMMANDS.includes(command) || stack === undefined || stack.startsWith("-")) {
        process.stderr.write(`usage: npm run ${COMMANDS.includes(command) ? command : "up"} -- <stack> [pulumi flags...]\n`);
        return 2;
    }
    try {
        stackFile(stack); // the same "no stack named" error as render
    } catch (error) {
        process.stderr.write(`error: ${(error as Error).message}\n`);
        return 1;
    }

    const select = spawnSync("pulumi", ["stack", "select", "--create", "--secrets-provider", "passphrase", stack], { cwd: PROJECT_DIR, stdio: "inherit" });
    if ((select.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
        process.stderr.write(`${INSTALL_HINT}\n`);
        return 127;
    }
    if (select.status !== 0) {
        return select.status ?? 1;
    }

    const server = await startProgramServer(async () => {
        const { configFromRuntime, declareStack, stackOutputs } = await import("./program");
        return stackOutputs(declareStack(configFromRuntime()));
    });
    const fast = fastDefaults(command, flags, process.env);
    const pulumi = spawn("pulumi", [command, "--stack", stack, ...fast.flags, `--client=127.0.0.1:${server.port}`], { cwd: PROJECT_DIR, stdio: "inherit", env: fast.env });
    const status = await new Promise<number>((resolve) => {
        pulumi.on("error", () => resolve(127));
        pulumi.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
    server.stop(status !== 0);
    return status;
}

/**
 * The Node SDK's own language server, serving `program` on a loopback port:
 * the same one `LocalWorkspace` starts for an inline program. The SDK does
 * not export it by name, so it is loaded by path; @pulumi/pulumi is pinned in
 * package.json, and the e2e suite runs these scripts against the real CLI.
 */
async function startProgramServer(program: () => Promise<Record<string, unknown>>): Promise<{ port: number; stop: (failed: boolean) => void }> {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const grpc = require("@grpc/grpc-js");
    const { LanguageServer } = require("@pulumi/pulumi/automation/server");
    const { LanguageRuntimeService } = require("@pulumi/pulumi/proto/language_grpc_pb");
    const { grpcChannelOptions } = require("@pulumi/pulumi/runtime/settings");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const server = new grpc.Server(grpcChannelOptions);
    const languageServer = new LanguageServer(program);
    server.addService(LanguageRuntimeService, languageServer);
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error: Error | null, bound: number) => (error ? reject(error) : resolve(bound))),
    );
    return {
        port,
        stop: (failed) => {
            languageServer.onPulumiExit(failed);
            server.forceShutdown();
        },
    };
}

main(process.argv.slice(2)).then((code) => (process.exitCode = code));
