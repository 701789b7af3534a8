/**
 * The benchmark's figures and verdicts, on runs made up for the purpose: a
 * wrong statistic or a verdict that cannot say MISSED would make
 * BENCHMARKS.md claim what the runs do not show.
 */
import { strict as assert } from "assert";
import { Row, Sample, estimateRatio, median, summarizeRow, table, targets } from "../bench/report";

const sample = (ms: number, maxRssKb = 100_000): Sample => ({ ms, resources: 0, rssBeforeKb: 50_000, maxRssKb });

/** A row whose runs take `baselineMs` round by round, the component `factor` times as long and as much memory. */
function row(namespaces: number, serviceAccounts: number, baselineMs: number[], factor: number): Row {
    return summarizeRow(namespaces, serviceAccounts, {
        component: baselineMs.map((ms) => sample(ms * factor, 100_000 * factor)),
        baseline: baselineMs.map((ms) => sample(ms)),
    });
}

/** Rows at 100 and 2,000 namespaces where a namespace costs `scale` times as much at 2,000, for the component only. */
function scalingRows(scale: number, factorAtLarge = 1): Row[] {
    const drift = [1, 1.3, 0.9, 1.1];
    return [
        row(100, 1, drift.map((d) => 400 * d), 1),
        row(1000, 1, drift.map((d) => 4000 * d), 1),
        row(2000, 1, drift.map((d) => 8000 * d * scale), factorAtLarge),
    ];
}

const verdictFor = (lines: string[], about: string) => lines.find((line) => line.includes(about))!.split(":")[0];

describe("benchmark figures", () => {
    it("a ratio is the geometric mean of the rounds' ratios, so 0.8 and 1.25 cancel out", () => {
        const { ratio, low, high } = estimateRatio([0.8, 1.25, 0.8, 1.25]);
        assert.ok(Math.abs(ratio - 1) < 1e-12, String(ratio));
        assert.ok(low < 1 && high > 1 && Math.abs(low * high - 1) < 1e-12, `${low}–${high}`);
    });

    it("the same ratio in every round has an interval of zero width", () => {
        const { ratio, low, high } = estimateRatio([1.02, 1.02, 1.02]);
        for (const value of [ratio, low, high]) {
            assert.ok(Math.abs(value - 1.02) < 1e-12, `${ratio} (${low}–${high})`);
        }
    });

    it("a row pairs runs within a round, so the machine's drift between rounds does not widen the ratio", () => {
        const r = row(1000, 1, [3000, 4500, 3300, 6000], 1.02);
        assert.ok(Math.abs(r.timeRatio.ratio - 1.02) < 1e-9 && r.timeRatio.high - r.timeRatio.low < 1e-9, JSON.stringify(r.timeRatio));
        assert.ok(Math.abs(r.peakRatio.ratio - 1.02) < 1e-9, JSON.stringify(r.peakRatio));
        assert.equal(r.baseline.ms, median([3000, 4500, 3300, 6000]));
        assert.equal(r.runs, 4);
    });

    it("the table shows each row's medians, ratio with its interval, and time per namespace", () => {
        const lines = table([row(1000, 3, [4000, 4400, 4200], 1.5)]).split("\n");
        assert.equal(lines.length, 3);
        assert.match(lines[2], /^\| 1000 \| 3 \| 4000 \| 3 \| 6300 \| 4200 \| 1\.500 \(1\.500–1\.500\) \| .* \| 6\.30 \| {2}\| /);
    });
});

describe("benchmark targets", () => {
    it("the time target holds at 1.05× the loop and is missed above it", () => {
        const lines = targets([row(1000, 1, [3000, 3100, 2900], 1.049), row(2000, 1, [6000, 6100, 5900], 1.06)]);
        assert.equal(verdictFor(lines, "at 1000 namespaces"), "holds");
        assert.equal(verdictFor(lines, "at 2000 namespaces"), "MISSED");
    });

    it("the scaling target holds when a namespace costs at most 10% more at 2,000 than at 100", () => {
        assert.equal(verdictFor(targets(scalingRows(1.08)), "service account(s)"), "holds");
        assert.equal(verdictFor(targets(scalingRows(0.92)), "service account(s)"), "holds");
    });

    it("the scaling target is missed by a namespace that costs more than 10% more at 2,000", () => {
        const line = targets(scalingRows(1.15)).find((l) => l.includes("service account(s)"))!;
        assert.match(line, /^MISSED: .* round by round, \+15\.0% /);
        assert.doesNotMatch(line, /cheaper/);
    });

    it("the scaling target is one-sided: a namespace much cheaper at 2,000 holds, and the line says it is cheaper", () => {
        const line = targets(scalingRows(0.8)).find((l) => l.includes("service account(s)"))!;
        assert.match(line, /^holds: .*-20\.0% .*target at most \+10%; cheaper at scale/);
    });

    it("the scaling line sets the component's change against the loop's", () => {
        // The loop scales as the component does; the component's share over it grows by 5% at 2,000.
        const line = targets(scalingRows(1, 1.05)).find((l) => l.includes("service account(s)"))!;
        assert.match(line, /The loop: [+-]0\.0% .* The component against the loop: \+5\.0% /);
    });
});
