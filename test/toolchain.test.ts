/**
 * The local test cluster's pinned toolchain: one table in
 * testcluster/toolchain.ts, and the README's copy of it, must agree. And the
 * parts of testcluster/ that need no cluster: its command line's output, its
 * names, and its polling loop.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { envLines } from "../testcluster/cli";
import { checkClusterName } from "../testcluster/controlPlane";
import { TOOLS, binDir } from "../testcluster/toolchain";
import { waitFor } from "../testcluster/waitFor";

const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

describe("the test cluster's toolchain", () => {
    for (const tool of TOOLS) {
        it(`the README's toolchain table pins ${tool.name} as the build does`, () => {
            const row = readme.split("\n").find((line) =>
                line.startsWith(
                    `| ${Object.values(tool.binaries)
                        .map((name) => `\`${name}\``)
                        .join(", ")} |`,
                ),
            );
            assert.ok(row, `no README row for ${tool.name}`);
            assert.ok(
                row.includes(`| ${tool.version} |`),
                `README row for ${tool.name} does not say ${tool.version}: ${row}`,
            );
            assert.ok(
                row.includes(`\`${tool.module}@${tool.moduleVersion}\``),
                `README row for ${tool.name} does not name ${tool.module}@${tool.moduleVersion}`,
            );
        });
    }

    it("keys each tool's folder by name and version, outside the repository", () => {
        const dirs = TOOLS.map(binDir);
        assert.equal(new Set(dirs).size, TOOLS.length);
        for (const [index, dir] of dirs.entries()) {
            assert.ok(dir.includes(`${TOOLS[index].name}-${TOOLS[index].version}`), dir);
            assert.ok(!path.resolve(dir).startsWith(path.resolve(__dirname, "..")), `${dir} is inside the repository`);
        }
    });

    it("env prints only export lines, quoting the kubeconfig path for the shell", () => {
        const lines = envLines("/tmp/it's here/kubeconfig");
        assert.ok(lines.every((line) => line.startsWith("export ")));
        assert.equal(lines[0], `export KUBECONFIG='/tmp/it'\\''s here/kubeconfig'`);
        assert.match(lines[1], /^export PATH='.*pulumi-3\.248\.0\/bin.*':"\$PATH"$/);
    });

    it("refuses a cluster name that could escape its folder or its context", () => {
        for (const bad of ["", "../x", "a/b", "UPPER", "-dash", "x".repeat(33)]) {
            assert.throws(() => checkClusterName(bad), /cluster name/);
        }
        assert.doesNotThrow(() => checkClusterName("e2e-123-shared"));
    });
});

describe("waiting for a test cluster's state", () => {
    it("checks again until the check holds", async () => {
        let checks = 0;
        await waitFor(() => ++checks === 3, { awaited: "the third check", timeoutMs: 5000, intervalMs: 1 });
        assert.equal(checks, 3);
    });

    it("fails after its timeout, saying what it waited for and what it saw last", async () => {
        let seen = 0;
        await assert.rejects(
            waitFor(() => ++seen < 0, {
                awaited: "the impossible",
                timeoutMs: 50,
                intervalMs: 10,
                lastSeen: () => `check ${seen}`,
            }),
            (error: Error) =>
                /^timed out after 0\.05 s waiting for the impossible; last seen: check \d+$/.test(error.message) &&
                seen >= 2,
        );
    });

    it("ends at once with the error of a check that throws", async () => {
        const started = Date.now();
        await assert.rejects(
            waitFor(
                () => {
                    throw new Error("etcd exited");
                },
                { awaited: "the API server", timeoutMs: 60_000, intervalMs: 1000 },
            ),
            /etcd exited/,
        );
        assert.ok(Date.now() - started < 1000);
    });
});
