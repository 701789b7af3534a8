/**
 * `npm run preview|up|destroy -- <stack>`, driven against a stand-in `pulumi`
 * on PATH that records how it was called. The e2e suite (test/e2e/stacks.e2e.ts)
 * runs the same scripts against the real CLI and a real cluster.
 */
import { strict as assert } from "assert";
import { SpawnSyncReturns, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const root = path.join(__dirname, "..");

function deploy(args: string[], pathDir: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
    const inherited = { ...process.env };
    delete inherited.PULUMI_SKIP_CHECKPOINTS;
    return spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "stacks/deploy.ts", ...args], {
        cwd: root,
        encoding: "utf8",
        env: { ...inherited, PATH: pathDir, ...env },
    });
}

/** A folder holding a `pulumi` that appends "<cwd> | <args> | PULUMI_SKIP_CHECKPOINTS=<value or unset>" to calls.log. */
function standInPulumi(): { dir: string; calls: () => string[] } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
    const log = path.join(dir, "calls.log");
    fs.writeFileSync(path.join(dir, "pulumi"), `#!/bin/sh\necho "$(pwd) | $* | PULUMI_SKIP_CHECKPOINTS=\${PULUMI_SKIP_CHECKPOINTS-unset}" >> "${log}"\n`, { mode: 0o755 });
    return { dir, calls: () => fs.readFileSync(log, "utf8").trim().split("\n") };
}

describe("npm run preview|up|destroy", () => {
    it("selects (or creates) the stack with the passphrase provider, then runs the command on it, from the repository root", () => {
        const pulumi = standInPulumi();
        const result = deploy(["up", "dev", "--yes"], pulumi.dir);
        assert.equal(result.status, 0, result.stderr);
        const [select, up] = pulumi.calls();
        assert.equal(select, `${root} | stack select --create --secrets-provider passphrase dev | PULUMI_SKIP_CHECKPOINTS=unset`);
        assert.match(up, new RegExp(`^${root} \\| up --stack dev --yes --client=127\\.0\\.0\\.1:\\d+ \\| PULUMI_SKIP_CHECKPOINTS=true$`));
    });

    it("writes the state once, at the end, and destroys 64 resources at once, unless told otherwise", () => {
        for (const command of ["preview", "up", "destroy"]) {
            const pulumi = standInPulumi();
            assert.equal(deploy([command, "dev"], pulumi.dir).status, 0);
            const parallel = command === "destroy" ? " --parallel 64" : "";
            assert.match(pulumi.calls()[1], new RegExp(`^${root} \\| ${command} --stack dev${parallel} --client=\\S+ \\| PULUMI_SKIP_CHECKPOINTS=true$`));
        }
        for (const flags of [["--parallel", "8"], ["--parallel=8"], ["-p", "8"], ["-p8"]]) {
            const pulumi = standInPulumi();
            assert.equal(deploy(["destroy", "dev", ...flags], pulumi.dir, { PULUMI_SKIP_CHECKPOINTS: "false" }).status, 0);
            assert.equal(pulumi.calls()[1].replace(/--client=\S+/, "--client"), `${root} | destroy --stack dev ${flags.join(" ")} --client | PULUMI_SKIP_CHECKPOINTS=false`);
        }
    });

    it("serves the program in process: the CLI gets the address of a language server that answers", () => {
        const pulumi = standInPulumi();
        // This stand-in connects to the address it is given before it exits.
        fs.writeFileSync(
            path.join(pulumi.dir, "pulumi"),
            `#!/bin/sh\ncase "$*" in *--client=*) addr=\${*##*--client=}; node -e "require('net').connect(\${addr##*:}, '127.0.0.1', () => process.exit(0)).on('error', () => process.exit(9))";; esac\n`,
            { mode: 0o755 },
        );
        const result = deploy(["preview", "staging"], `${pulumi.dir}:${path.dirname(process.execPath)}`);
        assert.equal(result.status, 0, result.stderr);
    });

    it("says in one line how to get the CLI when it is missing", () => {
        const result = deploy(["up", "dev"], fs.mkdtempSync(path.join(os.tmpdir(), "no-pulumi-")));
        assert.equal(result.status, 127);
        assert.equal(result.stderr.trim().split("\n").length, 1);
        assert.match(result.stderr, /pulumi CLI is not on your PATH: install it/);
    });

    it("rejects a missing stack name with its usage", () => {
        const result = deploy(["destroy"], standInPulumi().dir);
        assert.equal(result.status, 2);
        assert.match(result.stderr, /usage: npm run destroy -- <stack>/);
    });
});
