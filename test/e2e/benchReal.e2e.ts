/**
 * A 5-namespace smoke of `npm run bench:real`: it runs end to end on its own
 * cluster and writes its section, with every operation it promises and the
 * API requests each made. A check that it works, not a timing.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");

describe("npm run bench:real", function () {
    it("measures the floor, the loop and each setting's operations, and writes only its own section", function () {
        const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-real-")), "BENCHMARKS.md");
        fs.writeFileSync(out, "# Benchmarks\n\nthe mock engine's part, kept as it is\n");
        try {
            const run = spawnSync("npm", ["run", "-s", "bench:real", "--", "--sizes", "5", "--rounds", "1", "--out", out], { cwd: ROOT, encoding: "utf8", timeout: 420_000 });
            assert.equal(run.status, 0, run.stderr);
            const written = fs.readFileSync(out, "utf8");
            assert.ok(written.startsWith("# Benchmarks\n\nthe mock engine's part, kept as it is\n"));
            assert.match(written, /<!-- real-engine:start -->\n## Real engine\n[\s\S]*<!-- real-engine:end -->/);
            const operations = [...written.matchAll(/^\| 5 \| ([^|]+) \| \d+\.\d \(/gm)].map((match) => match[1].trim());
            assert.deepEqual(operations, [
                "kubectl floor: one apply --server-side",
                "seeds' loop: kubectl create secret + patch, per namespace",
                ...["defaults", "no checkpoints", "client 1000/2000", "tuned", "tuned, parallel 64", "tuned, parallel diff"].flatMap((name) =>
                    ["first preview", "first up (no preview)", "no-op preview", "no-op up", "a namespace added", "rotation", "destroy"].map((operation) => `${name}: ${operation}`),
                ),
            ]);
            // The API server's counts, per operation: each service account written once, the added namespace alone, a preview writing nothing.
            const requests = (operation: string) => new RegExp(`^\\| 5 \\| ${operation} \\|.*\\| ([^|]*) \\|$`, "m").exec(written)?.[1] ?? "";
            assert.match(requests("tuned: first up \\(no preview\\)"), /serviceaccounts PATCH 5(,|$)/);
            assert.match(requests("tuned: a namespace added"), /secrets APPLY 1(,|$)/);
            assert.match(requests("tuned: a namespace added"), /serviceaccounts PATCH 1(,|$)/);
            assert.doesNotMatch(requests("tuned: no-op preview"), /PATCH|POST|DELETE/);
            // Background deletion: the Secrets go at their DELETE, with no finalizer for the garbage collector to PATCH away.
            assert.match(requests("tuned: destroy"), /secrets DELETE 6(,|$)/);
            assert.doesNotMatch(requests("tuned: destroy"), /secrets PATCH/);
            // Each operation's peak memory: all of it, then the program's and the CLI's with its plugins, each of them running.
            const peak = /^\| 5 \| tuned: destroy \| [^|]+ \| [^|]+ \| [^|]* \| (\d+) \((\d+) \+ (\d+)\) \|/m.exec(written);
            assert.ok(peak, written);
            const [total, program, cli] = peak.slice(1).map(Number);
            // Each figure is rounded to a megabyte on its own, so the two parts' sum can come out 1 MB short of the total.
            assert.ok(program > 50 && cli > 50 && total >= Math.max(program, cli) && total <= program + cli + 1, peak[0]);
        } finally {
            fs.rmSync(path.dirname(out), { recursive: true, force: true });
        }
    });
});
