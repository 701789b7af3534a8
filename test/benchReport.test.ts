/**
 * The benchmark's figures and verdicts, on runs made up for the purpose: a
 * wrong statistic or a verdict that cannot say MISSED would make
 * BENCHMARKS.md claim what the runs do not show.
 */
import { strict as assert } from "assert";
import { Row, Sample, estimateRatio, median, summarizeRow, table, targets } from "../bench/report";
import { FLOOR, LOOP, Measured, OPERATIONS, realEngineVerdicts } from "../bench/verdicts";

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
        row(
            100,
            1,
            drift.map((d) => 400 * d),
            1,
        ),
        row(
            1000,
            1,
            drift.map((d) => 4000 * d),
            1,
        ),
        row(
            2000,
            1,
            drift.map((d) => 8000 * d * scale),
            factorAtLarge,
        ),
    ];
}

const verdictFor = (lines: string[], about: string) => lines.find((line) => line.includes(about))!.split(":")[0];

describe("benchmark figures", () => {
    it("a median of an odd number of runs is the middle one, of an even number the mean of the two middle ones", () => {
        assert.equal(median([5, 1, 3]), 3);
        assert.equal(median([4, 1, 3, 2]), 2.5);
    });

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
        assert.ok(
            Math.abs(r.timeRatio.ratio - 1.02) < 1e-9 && r.timeRatio.high - r.timeRatio.low < 1e-9,
            JSON.stringify(r.timeRatio),
        );
        assert.ok(Math.abs(r.peakRatio.ratio - 1.02) < 1e-9, JSON.stringify(r.peakRatio));
        assert.equal(r.baseline.ms, median([3000, 4500, 3300, 6000]));
        assert.equal(r.runs, 4);
    });

    it("the table shows each row's medians, ratio with its interval, and time per namespace", () => {
        const lines = table([row(1000, 3, [4000, 4400, 4200], 1.5)]).split("\n");
        assert.equal(lines.length, 3);
        assert.match(
            lines[2],
            /^\| 1000 \| 3 \| 1001 \| 3 \| 6300 \| 4200 \| 1\.500 \(1\.500–1\.500\) \| .* \| 6\.30 \| {2}\| /,
        );
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

describe("real-engine targets", () => {
    const SETTING = "README route";
    const FLOOR_SECONDS = 7;
    const LOOP_SECONDS = 127;

    /**
     * A run at 1,000 and 2,000 where each operation takes `at1000` seconds and `growth` times as long at 2,000;
     * with `at10000`, at 10,000 too, where the floor takes 10 times as long.
     */
    function run(
        at1000: Record<string, number>,
        options: {
            growth?: Record<string, number>;
            rotationRequests?: Record<string, number>;
            peakBytes?: number;
            at100?: { floor: number; up: number };
            at10000?: { seconds: Record<string, number>; peakBytes: number };
        } = {},
    ): Measured {
        const seconds = new Map<string, number[]>([
            [`1000 ${FLOOR}`, [FLOOR_SECONDS, FLOOR_SECONDS + 1, FLOOR_SECONDS - 1]],
            [`1000 ${LOOP}`, [LOOP_SECONDS]],
        ]);
        for (const operation of OPERATIONS) {
            const time = at1000[operation] ?? 10;
            seconds.set(`1000 ${SETTING}: ${operation}`, [time * 1.1, time, time * 0.9]);
            seconds.set(`2000 ${SETTING}: ${operation}`, [time * (options.growth?.[operation] ?? 2)]);
            if (options.at10000 !== undefined) {
                seconds.set(`10000 ${SETTING}: ${operation}`, [options.at10000.seconds[operation] ?? time * 10]);
            }
        }
        if (options.at10000 !== undefined) {
            seconds.set(`10000 ${FLOOR}`, [FLOOR_SECONDS * 10]);
        }
        if (options.at100 !== undefined) {
            seconds.set(`100 ${FLOOR}`, [options.at100.floor]);
            seconds.set(`100 ${SETTING}: first up (no preview)`, [options.at100.up]);
        }
        return {
            seconds: (size, label) => seconds.get(`${size} ${label}`),
            peakBytes: (size) =>
                size === 2000 ? (options.peakBytes ?? 0.9e9) : size === 10000 ? options.at10000?.peakBytes : undefined,
            requests: (size, label) =>
                size === 1000 && label.endsWith("rotation")
                    ? (options.rotationRequests ?? { "secrets GET": 1001, "secrets PATCH": 1001 })
                    : undefined,
        };
    }
    const about = (lines: string[], text: string) => {
        const line = lines.find((candidate) => candidate.includes(text));
        assert.ok(line, `no line about "${text}" in:\n${lines.join("\n")}`);
        return /^- \*\*(holds|MISSED)\*\*/.exec(line)![1];
    };

    it("judges each time against the floor and the loop of the same run, at their medians", () => {
        const lines = realEngineVerdicts(
            run({ "first preview": 21, "first up (no preview)": 14, "no-op preview": 5, rotation: 28, destroy: 35 }),
            SETTING,
        );
        assert.equal(about(lines, "at 1,000 without preview"), "holds"); // 14 s: 2.0× the floor, 9.1× faster than the loop
        assert.equal(about(lines, "with its preview"), "holds"); // 35 s: 5.0×
        assert.equal(about(lines, "no-op preview"), "holds");
        assert.equal(about(lines, "rotation"), "holds");
        assert.equal(about(lines, "destroy"), "holds");
        assert.equal(about(lines, "time(2,000) / time(1,000)"), "holds");
        assert.equal(about(lines, "memory at 2,000"), "holds");
    });

    it("misses the first rollout when it is over 2× the floor at 1,000 or under 6× faster than the loop", () => {
        assert.equal(
            about(realEngineVerdicts(run({ "first up (no preview)": 14.5 }), SETTING), "without preview"),
            "MISSED",
        );
        const lines = realEngineVerdicts(run({ "first preview": 22, "first up (no preview)": 14 }), SETTING);
        assert.equal(about(lines, "without preview"), "holds");
        assert.equal(about(lines, "with its preview"), "MISSED"); // 36 s: 5.1× the floor
    });

    it("holds the first rollout to 3× the floor at 100 and to 2× at 10,000", () => {
        const at100 = (up: number) =>
            about(realEngineVerdicts(run({}, { at100: { floor: 1, up } }), SETTING), "at 100 ");
        assert.equal(at100(3), "holds");
        assert.equal(at100(3.1), "MISSED");
        const at10000 = (up: number) =>
            about(
                realEngineVerdicts(
                    run({}, { at10000: { seconds: { "first up (no preview)": up }, peakBytes: 0 } }),
                    SETTING,
                ),
                "at 10,000 without preview",
            );
        assert.equal(at10000(2 * FLOOR_SECONDS * 10), "holds");
        assert.equal(at10000(2 * FLOOR_SECONDS * 10 + 1), "MISSED");
    });

    it("misses a no-op preview over 5 s at 1,000", () => {
        assert.equal(about(realEngineVerdicts(run({ "no-op preview": 5.1 }), SETTING), "no-op preview"), "MISSED");
    });

    it("misses growth to 10,000 when any one operation grows more than 11×, and memory there over 4 GB", () => {
        const lines = realEngineVerdicts(run({}, { at10000: { seconds: { destroy: 111 }, peakBytes: 4e9 } }), SETTING);
        assert.equal(about(lines, "time(10,000) / time(1,000)"), "MISSED");
        assert.match(
            lines.find((line) => line.includes("time(10,000)"))!,
            /destroy 11\.10/,
        );
        assert.equal(about(lines, "memory at 10,000"), "holds");
        const over = realEngineVerdicts(run({}, { at10000: { seconds: {}, peakBytes: 4e9 + 1 } }), SETTING);
        assert.equal(about(over, "time(10,000) / time(1,000)"), "holds");
        assert.equal(about(over, "memory at 10,000"), "MISSED");
    });

    it("misses a rotation that writes a service account, or patches other than every Secret once", () => {
        const wrote = realEngineVerdicts(
            run({}, { rotationRequests: { "secrets PATCH": 1001, "serviceaccounts PATCH": 1 } }),
            SETTING,
        );
        assert.equal(about(wrote, "rotation"), "MISSED");
        assert.match(
            wrote.find((line) => line.includes("rotation"))!,
            /1 service-account writes/,
        );
        assert.equal(
            about(realEngineVerdicts(run({}, { rotationRequests: { "secrets PATCH": 1000 } }), SETTING), "rotation"),
            "MISSED",
        );
    });

    it("misses growth when any one operation grows more than 2.2×, and names it", () => {
        const lines = realEngineVerdicts(run({}, { growth: { rotation: 2.31 } }), SETTING);
        assert.equal(about(lines, "time(2,000)"), "MISSED");
        assert.match(
            lines.find((line) => line.includes("growth"))!,
            /rotation 2\.31/,
        );
    });

    it("misses memory at 1 GB, counted in bytes", () => {
        assert.equal(about(realEngineVerdicts(run({}, { peakBytes: 1e9 + 1 }), SETTING), "memory"), "MISSED");
        assert.equal(about(realEngineVerdicts(run({}, { peakBytes: 1e9 }), SETTING), "memory"), "holds");
    });

    it("says nothing about a size the run did not measure", () => {
        const only100: Measured = { seconds: () => undefined, peakBytes: () => undefined, requests: () => undefined };
        assert.deepEqual(realEngineVerdicts(only100, SETTING), []);
    });
});
