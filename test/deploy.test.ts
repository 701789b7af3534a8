/**
 * `npm run preview|up|destroy -- <stack>`, driven against a stand-in `pulumi`
 * on PATH that records how it was called: the real CLI is not on this machine.
 */
import { strict as assert } from "assert";
import { SpawnSyncReturns, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const root = path.join(__dirname, "..");

function deploy(args: string[], pathDir: string): SpawnSyncReturns<string> {
    return spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "stacks/deploy.ts", ...args], {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, PATH: pathDir, PULUMI_NODEJS_TRANSPILE_ONLY: "" },
    });
}

/** A folder holding a `pulumi` that appends "<PULUMI_NODEJS_TRANSPILE_ONLY> | <cwd> | <args>" to calls.log. */
function standInPulumi(): { dir: string; calls: () => string[] } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
    const log = path.join(dir, "calls.log");
    fs.writeFileSync(path.join(dir, "pulumi"), `#!/bin/sh\necho "$PULUMI_NODEJS_TRANSPILE_ONLY | $(pwd) | $*" >> "${log}"\n`, { mode: 0o755 });
    return { dir, calls: () => fs.readFileSync(log, "utf8").trim().split("\n") };
}

describe("npm run preview|up|destroy", () => {
    it("selects (or creates) the stack with the passphrase provider, then runs the command on it, from the repository root", () => {
        const pulumi = standInPulumi();
        const result = deploy(["up", "dev", "--yes"], pulumi.dir);
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(pulumi.calls(), [
            `true | ${root} | stack select --create --secrets-provider passphrase dev`,
            `true | ${root} | up --stack dev --yes`,
        ]);
    });

    it("runs the program transpile-only, for a start in a fraction of the type-checking time", () => {
        const pulumi = standInPulumi();
        deploy(["preview", "staging"], pulumi.dir);
        assert.ok(pulumi.calls().every((call) => call.startsWith("true | ")));
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
