/**
 * One run of the Pulumi CLI with the program served from this process, as
 * `npm run preview|up|destroy` runs it (stacks/deploy.ts) and as
 * `npm run bench:real` measures it (bench/operation.ts).
 *
 * The program runs in this process, not in a Node language host: the CLI is
 * pointed at an in-process language server with `--client`, as the Automation
 * API does for an inline program. Everything else is the plain CLI: its
 * flags, its prompts and its output. So no `pulumi-language-nodejs` plugin is
 * needed.
 *
 * Three of the CLI's defaults are changed for rollouts to many namespaces
 * (docs/operating-at-scale.md, "Many namespaces"), each unless the caller sets it:
 * `PULUMI_SKIP_CHECKPOINTS=true`, `--continue-on-error` for up and destroy,
 * and `--parallel 64` for destroy. And the SDK's promise-tracking stack
 * traces skip source maps (`unmappedPromiseTraces`).
 */
import { StdioOptions, spawn } from "child_process";

/**
 * Resource operations at once for destroy, where most of a Secret's delete is
 * waiting for the provider's check that it is gone: 6.9 s against 17.5 with
 * the CLI's default of 4 per CPU, at 1,000 namespaces. For preview and up,
 * single rounds disagree within the noise, so they keep the CLI's default
 * (BENCHMARKS.md, "Real engine: settings compared").
 */
const DESTROY_PARALLEL = "64";

/** Flags and environment for the CLI: ours, where the caller's flags and environment leave them unset. */
export function fastDefaults(
    command: string,
    flags: readonly string[],
    env: NodeJS.ProcessEnv,
): { flags: string[]; env: NodeJS.ProcessEnv } {
    const setsParallel = flags.some((flag) => /^(--parallel|-p)(=|$)|^-p\d+$/.test(flag));
    // A namespace or cluster that fails holds back no other (docs/operating-at-scale.md, "When a rollout cannot land"):
    // without it the engine starts nothing new after the first failure.
    const continues =
        (command === "up" || command === "destroy") &&
        !flags.includes("--continue-on-error") &&
        env.PULUMI_CONTINUE_ON_ERROR === undefined;
    return {
        flags: [
            ...(command === "destroy" && !setsParallel ? ["--parallel", DESTROY_PARALLEL] : []),
            ...(continues ? ["--continue-on-error"] : []),
            ...flags,
        ],
        // The state is written once, at the end, instead of after every step (docs/operating-at-scale.md, "What a stopped up leaves").
        env: { PULUMI_SKIP_CHECKPOINTS: "true", ...env },
    };
}

/** Flags of `pulumi up` that `pulumi preview` does not take. */
const UP_ONLY_FLAGS = ["--yes", "-y", "--skip-preview", "-f", "--continue-on-error"];

/**
 * How `npm run up` runs: a preview, then the update without its own preview.
 * `pulumi up` would stop at its preview when an admission webhook or policy
 * refuses one Secret's dry-run (a namespace being deleted, missing, or one
 * the deployer may not write does not stop it: measured), and `pulumi
 * preview` has no `--continue-on-error`: one bad namespace would hold back
 * every other. So the preview runs on its own, its
 * failures are shown, and the update, confirmed as `pulumi up` confirms it,
 * then rolls out everything else. With `--skip-preview`, only the update.
 */
export function upSteps(
    flags: readonly string[],
    env: NodeJS.ProcessEnv,
): { preview?: string[]; confirm: boolean; up: string[] } {
    const yes = flags.includes("--yes") || flags.includes("-y") || env.PULUMI_SKIP_CONFIRMATIONS === "true";
    if (flags.includes("--skip-preview") || flags.includes("-f")) {
        return { confirm: false, up: [...flags] };
    }
    const preview = flags.filter((flag) => !UP_ONLY_FLAGS.includes(flag));
    return { preview, confirm: !yes, up: ["--yes", "--skip-preview", ...preview] };
}

export interface PulumiRun {
    /** `preview`, `up` or `destroy`. */
    readonly command: string;
    readonly stack: string;
    /** The caller's flags, passed after ours. */
    readonly flags: readonly string[];
    /** The project's folder. */
    readonly cwd: string;
    readonly env: NodeJS.ProcessEnv;
    /** The stack's program; what it returns becomes the stack's outputs. */
    readonly program: () => Promise<Record<string, unknown> | void>;
    /** The CLI's executable: default `pulumi`, from PATH. */
    readonly pulumi?: string;
    readonly stdio?: StdioOptions;
}

/** Runs the CLI on the stack and resolves to its exit status: 127 if it could not be started. */
export async function runPulumi(run: PulumiRun): Promise<number> {
    untracedPromises();
    const server = await startProgramServer(run.program);
    const fast = fastDefaults(run.command, run.flags, run.env);
    const pulumi = spawn(
        run.pulumi ?? "pulumi",
        [run.command, "--stack", run.stack, ...fast.flags, `--client=127.0.0.1:${server.port}`],
        { cwd: run.cwd, stdio: run.stdio ?? "inherit", env: fast.env },
    );
    const status = await new Promise<number>((resolve) => {
        pulumi.on("error", () => resolve(127));
        pulumi.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
    server.stop(status !== 0);
    return status;
}

/**
 * The Node SDK records a stack trace for every promise it tracks, about 35
 * per resource, as text kept on the promise, for a report of leaked promises
 * that only `PULUMI_DEBUG_PROMISE_LEAKS` prints. Mapped through source
 * maps they were a third of a no-op preview at 1,000 namespaces (10.5–11.9 s,
 * against 7.1–7.2 s unmapped); unmapped, they still cost a no-op preview at
 * 2,000 namespaces 6% of its time and 9% of the program's memory (11.0 s and
 * 800 MB, against 10.3 s and 729 MB as one line). So, unless that variable
 * asks for them, each such trace is one shared line saying how to get them;
 * every other stack trace (an error's, a resource's source position) is
 * formatted as before.
 */
export function untracedPromises(): void {
    if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
        return;
    }
    const format =
        Error.prepareStackTrace ??
        ((error, frames) => [String(error), ...frames.map((frame) => `    at ${frame}`)].join("\n"));
    Error.prepareStackTrace = (error, frames) =>
        frames[0]?.getFunctionName() === "debuggablePromise" ? UNTRACED : format(error, frames);
}

const UNTRACED = "(not recorded: set PULUMI_DEBUG_PROMISE_LEAKS=true to record where each promise was made)";

/**
 * The program, with a mistake it reports as a RunError (bad stack config,
 * the component's invalid arguments) printed once. The SDK's language
 * server prints a failed program's error twice, once as it happens and once
 * as the run's result; logged instead, it appears once, followed by the
 * SDK's "One or more errors occurred". The run fails either way, so nothing
 * the program did not declare is deleted.
 */
export function reportingOnce(program: PulumiRun["program"]): PulumiRun["program"] {
    return async () => {
        try {
            return await program();
        } catch (error) {
            const { RunError, log } = await import("@pulumi/pulumi"); // loaded by now: the program ran
            if (!RunError.isInstance(error)) {
                throw error;
            }
            await log.error(error.message);
        }
    };
}

/**
 * The Node SDK's own language server, serving `program` on a loopback port:
 * the same one `LocalWorkspace` starts for an inline program. The SDK does
 * not export it by name, so it is loaded by path; @pulumi/pulumi is pinned in
 * package.json, and the e2e suite runs these scripts against the real CLI.
 */
async function startProgramServer(
    program: () => Promise<Record<string, unknown> | void>,
): Promise<{ port: number; stop: (failed: boolean) => void }> {
    const grpc = require("@grpc/grpc-js");
    const { LanguageServer } = require("@pulumi/pulumi/automation/server");
    const { LanguageRuntimeService } = require("@pulumi/pulumi/proto/language_grpc_pb");
    const { grpcChannelOptions } = require("@pulumi/pulumi/runtime/settings");
    const server = new grpc.Server(grpcChannelOptions);
    const languageServer = new LanguageServer(reportingOnce(program));
    server.addService(LanguageRuntimeService, languageServer);
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync(
            "127.0.0.1:0",
            grpc.ServerCredentials.createInsecure(),
            (error: Error | null, bound: number) => (error ? reject(error) : resolve(bound)),
        ),
    );
    return {
        port,
        stop: (failed) => {
            languageServer.onPulumiExit(failed);
            server.forceShutdown();
        },
    };
}
