/**
 * A 5-namespace smoke of `npm run bench:real`: it runs end to end on its own
 * cluster and writes its sections, with every operation it promises and the
 * API requests each made. A check that it works, not a timing.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
const OPERATIONS = [
    "first preview",
    "first up (no preview)",
    "no-op preview",
    "no-op up",
    "a namespace added",
    "rotation",
    "destroy",
];

function benchReal(out: string, ...flags: string[]): void {
    const run = spawnSync(
        "npm",
        ["run", "-s", "bench:real", "--", "--sizes", "5", "--rounds", "1", "--out", out, ...flags],
        { cwd: ROOT, encoding: "utf8", timeout: 420_000 },
    );
    assert.equal(run.status, 0, run.stderr);
}

/** The operations of a section's table, in order. */
const operations = (section: string) =>
    [...section.matchAll(/^\| 5 \| ([^|]+) \| \d+\.\d \(/gm)].map((match) => match[1].trim());

/** The API requests of one operation's row. */
const requests = (section: string, operation: string) =>
    new RegExp(`^\\| 5 \\| ${operation.replace(/[()]/g, "\\$&")} \\|.*\\| ([^|]*) \\|$`, "m").exec(section)?.[1] ?? "";

describe("npm run bench:real", function () {
    it("measures the README route beside the floor and the loop, then compares settings in a section of its own, each operation in a process of its own", function () {
        this.timeout(900_000);
        const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-real-")), "BENCHMARKS.md");
        fs.writeFileSync(out, "# Benchmarks\n\nthe mock engine's part, kept as it is\n");
        try {
            benchReal(out);
            const afterRoute = fs.readFileSync(out, "utf8");
            assert.ok(afterRoute.startsWith("# Benchmarks\n\nthe mock engine's part, kept as it is\n"));
            const route =
                /<!-- real-engine:start -->\n## Real engine\n[\s\S]*<!-- real-engine:end -->/.exec(afterRoute)?.[0] ??
                "";
            assert.deepEqual(operations(route), [
                "kubectl floor: one apply --server-side",
                "seeds' loop: kubectl create secret + patch, per namespace",
                ...OPERATIONS.map((operation) => `README route: ${operation}`),
            ]);
            // The API server's counts, per operation: each service account written once, the added namespace alone, a preview writing nothing.
            assert.match(requests(route, "README route: first up (no preview)"), /serviceaccounts PATCH 5(,|$)/);
            assert.match(requests(route, "README route: a namespace added"), /secrets APPLY 1(,|$)/);
            assert.match(requests(route, "README route: a namespace added"), /serviceaccounts PATCH 1(,|$)/);
            assert.doesNotMatch(requests(route, "README route: no-op preview"), /PATCH|POST|DELETE/);
            // Background deletion: the Secrets go at their DELETE, with no finalizer for the garbage collector to PATCH away.
            assert.match(requests(route, "README route: destroy"), /secrets DELETE 6(,|$)/);
            assert.doesNotMatch(requests(route, "README route: destroy"), /secrets PATCH/);
            // Each operation's peak memory: all of it, then each process's: the program's, the CLI's, and its two providers', each of them running.
            const peak =
                /^\| 5 \| README route: destroy \| [^|]+ \| [^|]+ \| [^|]* \| (\d+) \((\d+) \+ (\d+) \+ (\d+) \+ (\d+)\) \|/m.exec(
                    route,
                );
            assert.ok(peak, route);
            const [total, ...parts] = peak.slice(1).map(Number);
            // Each figure is rounded to a megabyte on its own, so the parts' sum can come out up to 3 MB short of the total.
            const sum = parts.reduce((a, b) => a + b, 0);
            assert.ok(parts.every((part) => part > 50) && total >= Math.max(...parts) && total <= sum + 3, peak[0]);

            // The audit beside its floor: 5 namespaces × 2 Deployments, one uncovered image in each namespace.
            assert.match(
                afterRoute,
                /<!-- audit:start -->\n## Audit\n[\s\S]*\n\| 5 \| 10 \| [\d.]+ \([^)]+\) \| [\d.]+ \([^)]+\) \| [\d.]+ \| 5 \|\n/,
            );

            benchReal(out, "--settings", "tuned,readme-route-in-a-terminal,readme-route-admission-policy-mode");
            const afterSettings = fs.readFileSync(out, "utf8");
            assert.ok(afterSettings.includes(route), "the README route's section is kept as it was");
            const compared =
                /<!-- real-engine-settings:start -->\n## Real engine: settings compared\n[\s\S]*<!-- real-engine-settings:end -->/.exec(
                    afterSettings,
                )?.[0] ?? "";
            assert.deepEqual(
                operations(compared).slice(2),
                ["tuned", "README route, in a terminal", "README route, admission-policy mode"].flatMap((name) =>
                    OPERATIONS.map((operation) => `${name}: ${operation}`),
                ),
            );
            // In a terminal the CLI makes the same requests; in admission-policy mode no service account is written.
            assert.match(
                requests(compared, "README route, in a terminal: first up (no preview)"),
                /serviceaccounts PATCH 5(,|$)/,
            );
            assert.match(
                requests(compared, "README route, admission-policy mode: first up (no preview)"),
                /secrets APPLY 5/,
            );
            assert.doesNotMatch(
                requests(compared, "README route, admission-policy mode: first up (no preview)"),
                /serviceaccounts/,
            );
        } finally {
            fs.rmSync(path.dirname(out), { recursive: true, force: true });
        }
    });
});
