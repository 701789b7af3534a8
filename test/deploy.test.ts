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
    return spawnSync(process.execPath, ["-r", "./stacks/transpileCache.js", "stacks/deploy.ts", ...args], {
        cwd: root,
        encoding: "utf8",
        env: { ...inherited, PATH: pathDir, ...env },
    });
}

/** A folder holding a `pulumi` that appends "<cwd> | <args> | PULUMI_SKIP_CHECKPOINTS=<value or unset>" to calls.log, then runs `also`. */
function standInPulumi(also = ""): { dir: string; calls: () => string[] } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
    const log = path.join(dir, "calls.log");
    fs.writeFileSync(
        path.join(dir, "pulumi"),
        `#!/bin/sh\necho "$(pwd) | $* | PULUMI_SKIP_CHECKPOINTS=\${PULUMI_SKIP_CHECKPOINTS-unset}" >> "${log}"\n${also}\n`,
        { mode: 0o755 },
    );
    return { dir, calls: () => fs.readFileSync(log, "utf8").trim().split("\n") };
}

describe("npm run preview|up|destroy", () => {
    // Stacks of the tests' own, copied from committed ones: no backend holds them, so every run makes its stack.
    const local = `unit-local-${process.pid}`;
    const dev = `unit-dev-${process.pid}`;
    const copies = [
        ["local", local],
        ["dev", dev],
    ];
    const stackPath = (stack: string) => path.join(root, "stacks", `Pulumi.${stack}.yaml`);
    before(() => copies.forEach(([from, to]) => fs.copyFileSync(stackPath(from), stackPath(to))));
    after(() =>
        copies.forEach(([, to]) => {
            fs.rmSync(stackPath(to), { force: true });
            fs.rmSync(path.join(root, ".pulumi", "config", `Pulumi.${to}.yaml`), { force: true });
        }),
    );

    it("selects (or creates) the stack with the passphrase provider, then previews and updates it, from the repository root", () => {
        const pulumi = standInPulumi();
        const result = deploy(["up", local, "--yes"], pulumi.dir);
        assert.equal(result.status, 0, result.stderr);
        const [select, preview, up, ...more] = pulumi.calls();
        assert.equal(
            select,
            `${root} | stack select --create --secrets-provider passphrase ${local} | PULUMI_SKIP_CHECKPOINTS=unset`,
        );
        assert.match(
            preview,
            new RegExp(
                `^${root} \\| preview --stack ${local} --client=127\\.0\\.0\\.1:\\d+ \\| PULUMI_SKIP_CHECKPOINTS=true$`,
            ),
        );
        assert.match(
            up,
            new RegExp(
                `^${root} \\| up --stack ${local} --continue-on-error --yes --skip-preview --client=127\\.0\\.0\\.1:\\d+ \\| PULUMI_SKIP_CHECKPOINTS=true$`,
            ),
        );
        assert.deepEqual(more, []);
    });

    it("skips the process that makes the stack once the stack's state is in the project's folder backend", () => {
        // Where the CLI keeps it, by project (the layout since .pulumi/meta.yaml's version 1) or by name alone.
        const states = [path.join("stacks", "registry-credentials"), "stacks"].map((folder) =>
            path.join(root, ".pulumi", folder, `${local}.json`),
        );
        for (const state of states) {
            fs.mkdirSync(path.dirname(state), { recursive: true });
            fs.writeFileSync(state, "{}");
        }
        try {
            const pulumi = standInPulumi();
            assert.equal(deploy(["up", local, "--yes", "--skip-preview"], pulumi.dir).status, 0);
            assert.deepEqual(
                pulumi.calls().map((call) => call.split(" | ")[1].split(" ")[0]),
                ["up"],
            );
        } finally {
            states.forEach((state) => fs.rmSync(state, { force: true }));
        }
    });

    it("updates after a preview that failed for some resources, so that they hold back nothing else", () => {
        const pulumi = standInPulumi();
        fs.appendFileSync(path.join(pulumi.dir, "pulumi"), 'case "$1" in preview) exit 3;; esac\n');
        const result = deploy(["up", local, "--yes", "--diff"], pulumi.dir);
        assert.equal(result.status, 0, result.stderr);
        assert.match(
            result.stderr,
            /The preview failed for the resources named above; the update writes everything else and fails for those/,
        );
        assert.deepEqual(
            pulumi
                .calls()
                .slice(1)
                .map((call) => call.split(" | ")[1].replace(/--client=\S+/, "--client")),
            [
                `preview --stack ${local} --diff --client`,
                `up --stack ${local} --continue-on-error --yes --skip-preview --diff --client`,
            ],
        );
    });

    it("asks before updating, as pulumi up does: without a terminal and without --yes it stops after the preview", () => {
        const pulumi = standInPulumi();
        const result = deploy(["up", local], pulumi.dir);
        assert.equal(result.status, 1);
        assert.match(result.stderr, /--yes must be passed in to proceed when running in non-interactive mode/);
        assert.deepEqual(
            pulumi
                .calls()
                .slice(1)
                .map((call) => call.split(" ")[2]),
            ["preview"],
        );
    });

    it("with --skip-preview, only updates", () => {
        const pulumi = standInPulumi();
        assert.equal(deploy(["up", local, "--yes", "--skip-preview"], pulumi.dir).status, 0);
        assert.deepEqual(
            pulumi
                .calls()
                .slice(1)
                .map((call) => call.split(" | ")[1].replace(/--client=\S+/, "--client")),
            [`up --stack ${local} --continue-on-error --yes --skip-preview --client`],
        );
    });

    it("ends a failed update with what did not land, by cluster, from the stack's outputs", () => {
        const pulumi = standInPulumi();
        const rollout = {
            prod: { failures: { "team-7": "the namespace is being deleted" } },
            "prod-eu": { failures: {} },
        };
        fs.appendFileSync(
            path.join(pulumi.dir, "pulumi"),
            `case "$1" in up) exit 255;; stack) echo '${JSON.stringify(rollout)}';; esac\n`,
        );
        const result = deploy(["up", "prod", "--yes"], pulumi.dir);
        assert.equal(result.status, 255);
        assert.match(
            result.stderr,
            /Not rolled out, by cluster .* Every other cluster \(1\) is rolled out\.\n {2}prod:\n {4}team-7: the namespace is being deleted\n$/,
        );
    });

    it("writes the state once, at the end, goes on past a failed resource, and destroys 64 resources at once, unless told otherwise", () => {
        for (const command of ["preview", "up", "destroy"]) {
            const pulumi = standInPulumi();
            assert.equal(
                deploy([command, local, ...(command === "up" ? ["--skip-preview"] : [])], pulumi.dir).status,
                0,
            );
            const expected = {
                preview: "",
                up: " --continue-on-error --skip-preview",
                destroy: " --parallel 64 --continue-on-error",
            }[command];
            assert.match(
                pulumi.calls()[1],
                new RegExp(
                    `^${root} \\| ${command} --stack ${local}${expected} --client=\\S+ \\| PULUMI_SKIP_CHECKPOINTS=true$`,
                ),
            );
        }
        for (const flags of [["--parallel", "8"], ["--parallel=8"], ["-p", "8"], ["-p8"]]) {
            const pulumi = standInPulumi();
            assert.equal(
                deploy(["destroy", local, ...flags], pulumi.dir, { PULUMI_SKIP_CHECKPOINTS: "false" }).status,
                0,
            );
            assert.equal(
                pulumi.calls()[1].replace(/--client=\S+/, "--client"),
                `${root} | destroy --stack ${local} --continue-on-error ${flags.join(" ")} --client | PULUMI_SKIP_CHECKPOINTS=false`,
            );
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

    it("after a destroy, says how to remove the stack without deleting its committed stack file", () => {
        const pulumi = standInPulumi();
        const result = deploy(["destroy", local, "--yes"], pulumi.dir);
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, new RegExp(`pulumi stack rm --preserve-config ${local} `));
        assert.ok(result.stdout.includes(`deletes stacks/Pulumi.${local}.yaml`), result.stdout);
    });

    it("keeps the salt the CLI makes out of a stack file committed without one, and gives the CLI a copy that holds it", () => {
        // A stand-in whose `stack select --create` writes a salt into the stack file, as the real CLI does.
        const pulumi = standInPulumi(
            `case "$*" in "stack select --create"*) echo "encryptionsalt: v1:made-here" >> stacks/Pulumi.${dev}.yaml;; esac`,
        );
        const committed = stackPath(dev);
        const before = fs.readFileSync(committed, "utf8");
        const copy = path.join(root, ".pulumi", "config", `Pulumi.${dev}.yaml`);
        fs.rmSync(copy, { force: true });
        try {
            assert.equal(deploy(["preview", dev], pulumi.dir).status, 0);
            assert.equal(fs.readFileSync(committed, "utf8"), before, "the committed stack file changed");
            assert.equal(fs.readFileSync(copy, "utf8"), `${before}encryptionsalt: v1:made-here\n`);
            assert.match(pulumi.calls()[1], new RegExp(`\\| preview --stack ${dev} --config-file ${copy} --client`));

            // The next run finds the stack and makes no salt: the copy, rebuilt from the committed file, keeps this one.
            assert.equal(deploy(["preview", dev], standInPulumi().dir).status, 0);
            assert.equal(fs.readFileSync(copy, "utf8"), `${before}encryptionsalt: v1:made-here\n`);
        } finally {
            fs.writeFileSync(committed, before);
            fs.rmSync(copy, { force: true });
        }
    });

    it("says in one line how to get the CLI when it is missing", () => {
        const result = deploy(["up", local], fs.mkdtempSync(path.join(os.tmpdir(), "no-pulumi-")));
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
