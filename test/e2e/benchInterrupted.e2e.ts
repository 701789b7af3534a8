/**
 * `npm run bench:interrupted` at 60 namespaces: a first `up` stopped by
 * Ctrl-C or killed, with and without checkpoints, and the recovery the
 * README promises for `npm run up`, which skips checkpoints: the next `up`
 * (after `pulumi cancel` when a kill left the stack locked) ends with every
 * Secret and entry in the cluster and in the state, and destroy then leaves
 * nothing behind.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
const SIZE = 60;

describe("npm run bench:interrupted", function () {
    it("an interrupted up, with or without checkpoints, is recovered by the next up, and destroy then leaves nothing", function () {
        this.timeout(600_000);
        const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-interrupted-")), "BENCHMARKS.md");
        fs.writeFileSync(out, "# Benchmarks\n");
        try {
            const run = spawnSync(
                "npm",
                ["run", "-s", "bench:interrupted", "--", "--size", String(SIZE), "--out", out],
                { cwd: ROOT, encoding: "utf8", timeout: 540_000 },
            );
            assert.equal(run.status, 0, run.stderr);
            const written = fs.readFileSync(out, "utf8");
            assert.match(
                written,
                /<!-- interrupted-up:start -->\n## Interrupted up\n[\s\S]*<!-- interrupted-up:end -->/,
            );
            const rows = [...written.matchAll(/^\| (client 1000\/2000|tuned) \| (SIGINT|SIGKILL) \| (.*) \|$/gm)].map(
                ([, settings, signal, rest]) => {
                    const [firstUp, secrets, entries, pending, orphans, nextUp, , secretsAfter, entriesAfter, , left] =
                        rest.split(" | ");
                    return {
                        settings,
                        signal,
                        firstUp,
                        secrets,
                        entries,
                        pending,
                        orphans: Number(orphans),
                        nextUp,
                        secretsAfter,
                        entriesAfter,
                        left,
                    };
                },
            );
            assert.deepEqual(
                rows.map((row) => `${row.settings} ${row.signal}`),
                ["client 1000/2000 SIGINT", "client 1000/2000 SIGKILL", "tuned SIGINT", "tuned SIGKILL"],
            );
            for (const row of rows) {
                assert.equal(row.secretsAfter, `${SIZE} / ${SIZE}`, JSON.stringify(row));
                assert.equal(row.entriesAfter, `${SIZE} / ${SIZE}`, JSON.stringify(row));
                assert.equal(row.left, "0", JSON.stringify(row));
            }
            // What skipping checkpoints costs: a killed run's state records none of what it made.
            const killed = rows.find((row) => row.settings === "tuned" && row.signal === "SIGKILL")!;
            if (killed.firstUp === "stopped") {
                const inCluster = Number(killed.secrets.split(" / ")[0]);
                assert.ok(inCluster > 0, JSON.stringify(killed));
                assert.equal(killed.secrets, `${inCluster} / 0`);
                assert.equal(killed.orphans, inCluster + Number(killed.entries.split(" / ")[0]));
                assert.match(killed.nextUp, /locked.*`pulumi cancel`.*`up`/);
            }
        } finally {
            fs.rmSync(path.dirname(out), { recursive: true, force: true });
        }
    });
});
