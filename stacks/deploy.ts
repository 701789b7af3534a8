/**
 * `npm run preview|up|destroy -- <stack> [pulumi flags...]`: the Pulumi CLI
 * on a named stack, from the repository root (where the relative file://
 * backend in Pulumi.yaml points). The stack is created in the local backend,
 * with the passphrase secrets provider, the first time it is used.
 *
 * The program runs in this process, served to the plain CLI, and the CLI's
 * defaults change for rollouts to many namespaces: see stacks/pulumiRun.ts.
 * The program is loaded the way this script is: without type-checking, each
 * file compiled once and kept (stacks/transpileCache.js).
 */
import { spawnSync } from "child_process";
import * as readline from "readline";
import { runPulumi, upSteps } from "./pulumiRun";
import { withLocalSalt } from "./localSalt";
import { PROJECT_DIR, stackFile, stackInFolderBackend } from "./stackFiles";

const COMMANDS = ["preview", "up", "destroy"];

const INSTALL_HINT =
    'The pulumi CLI is not on your PATH: install it with `curl -fsSL https://get.pulumi.com | sh` (or see https://www.pulumi.com/docs/iac/download-install/), or use the pinned one of the local test cluster: eval "$(npm run -s cluster -- env)". `npm run render -- <stack>` works without it.';

async function main(argv: readonly string[]): Promise<number> {
    const [command, stack, ...flags] = argv;
    if (!COMMANDS.includes(command) || stack === undefined || stack.startsWith("-")) {
        process.stderr.write(
            `usage: npm run ${COMMANDS.includes(command) ? command : "up"} -- <stack> [pulumi flags...]\n`,
        );
        return 2;
    }
    try {
        stackFile(stack); // the same "no stack named" error as render
    } catch (error) {
        process.stderr.write(`error: ${(error as Error).message}\n`);
        return 1;
    }

    // The stack is made by `stack select --create` the first time; once it is in
    // a folder backend, and its salt is known, that process of its own is skipped.
    const exists = stackInFolderBackend(stack) === true;
    const { created: select, configFile } = withLocalSalt(stack, (saltKnown) =>
        exists && saltKnown
            ? undefined
            : spawnSync("pulumi", ["stack", "select", "--create", "--secrets-provider", "passphrase", stack], {
                  cwd: PROJECT_DIR,
                  stdio: "inherit",
              }),
    );
    if ((select?.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
        process.stderr.write(`${INSTALL_HINT}\n`);
        return 127;
    }
    if (select !== undefined && select.status !== 0) {
        return select.status ?? 1;
    }
    const configFlags = configFile === undefined ? [] : ["--config-file", configFile];

    const run = async (command: string, flags: readonly string[]) => {
        const status = await runPulumi({
            command,
            stack,
            flags: [...configFlags, ...flags],
            cwd: PROJECT_DIR,
            env: process.env,
            program: async () => {
                const { configFromRuntime, declareStack, stackOutputs } = await import("./program");
                return stackOutputs(declareStack(configFromRuntime()));
            },
        });
        if (status === 127) {
            process.stderr.write(`${INSTALL_HINT}\n`);
        }
        return status;
    };
    if (command !== "up") {
        const status = await run(command, flags);
        if (command === "destroy" && status === 0) {
            process.stdout.write(`${stackRemovalNote(stack)}\n`);
        }
        return status;
    }
    const steps = upSteps(flags, process.env);
    if (steps.preview !== undefined) {
        const previewed = await run("preview", steps.preview);
        if (!(await confirmed(previewed, steps.confirm))) {
            return previewed === 0 ? 1 : previewed;
        }
    }
    const status = await run("up", steps.up);
    if (status !== 0) {
        await printNotRolledOut(stack);
    }
    return status;
}

/**
 * The CLI ends a destroy suggesting `pulumi stack rm <stack>`, which also
 * deletes the stack's file, stacks/Pulumi.<stack>.yaml: committed here, and
 * holding the stack's settings and encrypted passwords.
 */
export function stackRemovalNote(stack: string): string {
    return (
        `To remove the stack's history too, keep its committed settings file: pulumi stack rm --preserve-config ${stack}` +
        ` (without --preserve-config, pulumi stack rm deletes stacks/Pulumi.${stack}.yaml).`
    );
}

/**
 * Asks, as `pulumi up` does after its preview, unless `--yes` was given.
 * Whatever failed in the preview fails again in the update, and holds back nothing else.
 */
async function confirmed(previewStatus: number, ask: boolean): Promise<boolean> {
    const note =
        previewStatus === 0
            ? ""
            : "The preview failed for the resources named above; the update writes everything else and fails for those.\n";
    if (!ask) {
        if (note !== "") process.stderr.write(note);
        return true;
    }
    if (!process.stdin.isTTY) {
        process.stderr.write("error: --yes must be passed in to proceed when running in non-interactive mode\n");
        return false;
    }
    const answer = await new Promise<string>((resolve) => {
        const prompt = readline.createInterface({ input: process.stdin, output: process.stdout });
        prompt.question(`${note}Do you want to perform this update? [yes/no] `, (text) => {
            prompt.close();
            resolve(text.trim().toLowerCase());
        });
    });
    return answer === "yes" || answer === "y";
}

/**
 * The closing summary of an update that failed: what did not land, per
 * cluster, from the stack's `rollout` output (the components' `failures`).
 * The engine's own errors are above it, under "Diagnostics".
 */
async function printNotRolledOut(stack: string): Promise<void> {
    const output = spawnSync("pulumi", ["stack", "output", "rollout", "--json", "--stack", stack], {
        cwd: PROJECT_DIR,
        encoding: "utf8",
    });
    let rollout: Record<string, { failures?: Record<string, string> }>;
    try {
        rollout = JSON.parse(output.stdout);
    } catch {
        return;
    }
    const { notRolledOutSummary } = await import("./program");
    const summary = notRolledOutSummary(rollout);
    if (summary !== "") {
        process.stderr.write(`\n${summary}\n`);
    }
}

void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
