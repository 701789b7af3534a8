/**
 * A smoke of `npm run bench:fixed`, one round: it splits a real no-op
 * `npm run up` into its parts, from the probe in the Node processes and
 * the real CLI's trace, and writes its section. A check that it works and
 * that the parts add up, not a timing; and a check, against the real CLI's
 * backend layout, that the deploy script skips `stack select` for a stack
 * it finds.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { INNER, PHASES } from "../../bench/phases";

const ROOT = path.join(__dirname, "..", "..");

describe("npm run bench:fixed", function () {
    it("splits a no-op npm run up into parts that add up to the whole, with no stack select for a stack that exists", function () {
        this.timeout(600_000);
        const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-fixed-")), "BENCHMARKS.md");
        fs.writeFileSync(out, "# Benchmarks\n");
        const run = spawnSync("npm", ["run", "-s", "bench:fixed", "--", "--rounds", "1", "--out", out], {
            cwd: ROOT,
            encoding: "utf8",
            timeout: 540_000,
        });
        assert.equal(run.status, 0, run.stderr);
        const section =
            /<!-- fixed-cost:start -->\n## The fixed cost of an operation\n[\s\S]*<!-- fixed-cost:end -->/.exec(
                fs.readFileSync(out, "utf8"),
            )?.[0];
        assert.ok(section, fs.readFileSync(out, "utf8"));

        const row = (label: string) => {
            const cells = section
                .split("\n")
                .find((line) => line.startsWith(`| ${label} |`))
                ?.split("|")
                .slice(2, -1)
                .map((cell) => Number(cell.replace(/[*()\s]/g, "")));
            assert.ok(cells?.length === 1 && !Number.isNaN(cells[0]), `no row "${label}" in:\n${section}`);
            return cells[0];
        };
        const parts = PHASES.map(row);
        assert.ok(
            parts.every((ms) => ms >= 0),
            `a part is negative: ${parts}`,
        );
        INNER.forEach(({ label }) => assert.ok(row(`(${label})`) > 0, label));
        assert.equal(row("`pulumi stack select --create`, a CLI process of its own"), 0);
        // The parts follow one another from npm's start to its exit; timed around it, the whole is a little longer.
        const whole = row("**npm start to exit**");
        assert.ok(Math.abs(parts.reduce((a, b) => a + b, 0) - whole) <= PHASES.length, `${parts} against ${whole}`);
        const timed = row("as timed around `npm run`");
        assert.ok(timed >= whole && timed < whole + 200, `${whole} against ${timed}`);
    });
});
