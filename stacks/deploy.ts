/**
 * `npm run preview|up|destroy -- <stack> [pulumi flags...]`: the Pulumi CLI
 * on a named stack, from the repository root (where the relative file://
 * backend in Pulumi.yaml points). The stack is created in the local backend,
 * with the passphrase secrets provider, the first time it is used.
 *
 * The program runs in this process, served to the plain CLI, and the CLI's
 * defaults change for rollouts to many namespaces: see stacks/pulumiRun.ts.
 * The program is loaded the way this script is, transpile-only.
 */
import { spawnSync } from "child_process";
import { runPulumi } from "./pulumiRun";
import { PROJECT_DIR, stackFile } from "./stackFiles";

const COMMANDS = ["preview", "up", "destroy"];

const INSTALL_HINT =
    "The pulumi CLI is not on your PATH: install it with `curl -fsSL https://get.pulumi.com | sh` (or see https://www.pulumi.com/docs/iac/download-install/), or use the pinned one of the local test cluster: eval \"$(npm run -s cluster -- env)\". `npm run render -- <stack>` works without it.";

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

    return runPulumi({
        command,
        stack,
        flags,
        cwd: PROJECT_DIR,
        env: process.env,
        program: async () => {
            const { configFromRuntime, declareStack, stackOutputs } = await import("./program");
            return stackOutputs(declareStack(configFromRuntime()));
        },
    });
}

main(process.argv.slice(2)).then((code) => (process.exitCode = code));
