/**
 * `npm run preview|up|destroy -- <stack> [pulumi flags...]`: the Pulumi CLI
 * on a named stack, from the repository root (where the relative file://
 * backend in Pulumi.yaml points). The stack is created in the local backend,
 * with the passphrase secrets provider, the first time it is used.
 */
import { spawnSync } from "child_process";
import { PROJECT_DIR, stackFile } from "./stackFiles";

const COMMANDS = ["preview", "up", "destroy"];
const INSTALL_HINT =
    "The pulumi CLI is not on your PATH: install it with `curl -fsSL https://get.pulumi.com | sh` (or see https://www.pulumi.com/docs/iac/download-install/); `npm run render -- <stack>` works without it.";

function main(argv: readonly string[]): number {
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
    // Transpile-only: the program reaches its first resource in about a quarter
    // of the time type-checking takes (BENCHMARKS.md); npm test type-checks it.
    const env = { ...process.env, PULUMI_NODEJS_TRANSPILE_ONLY: "true" };
    const pulumi = (...args: string[]) => spawnSync("pulumi", args, { cwd: PROJECT_DIR, stdio: "inherit", env });

    const select = pulumi("stack", "select", "--create", "--secrets-provider", "passphrase", stack);
    if ((select.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
        process.stderr.write(`${INSTALL_HINT}\n`);
        return 127;
    }
    if (select.status !== 0) {
        return select.status ?? 1;
    }
    return pulumi(command, "--stack", stack, ...flags).status ?? 1;
}

process.exitCode = main(process.argv.slice(2));
