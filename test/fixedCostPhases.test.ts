/**
 * bench/phases.ts: how `npm run bench:fixed` splits one no-op `npm run up`
 * into the parts BENCHMARKS.md shows, from made-up probe events and CLI
 * spans with known times.
 */
import { strict as assert } from "assert";
import { INNER, PHASES, ProbeEvent, phasesOf, readSpans } from "../bench/phases";

/** The CLI's `--otel-traces` file: one JSON document per line, times in nanoseconds since the epoch. */
function traceFile(spans: { name: string; from: number; to: number; prefix?: string }[]): string {
    return spans
        .map((span) =>
            JSON.stringify({
                resourceSpans: [
                    {
                        resource: { attributes: [{ key: "service.name", value: { stringValue: "pulumi-cli" } }] },
                        scopeSpans: [
                            {
                                spans: [
                                    {
                                        name: span.name,
                                        startTimeUnixNano: String(BigInt(span.from) * 1_000_000n),
                                        endTimeUnixNano: String(BigInt(span.to) * 1_000_000n),
                                        attributes:
                                            span.prefix === undefined
                                                ? []
                                                : [{ key: "prefix", value: { stringValue: span.prefix } }],
                                    },
                                ],
                            },
                        ],
                    },
                ],
            }),
        )
        .join("\n");
}

const SPANS = readSpans(
    traceFile([
        { name: "pulumi", from: 1500, to: 3900 },
        { name: "pulumirpc.LanguageRuntime/Run", from: 1650, to: 3800 },
        { name: "newPlugin", from: 2100, to: 2200, prefix: "kubernetes (resource)" },
        // A Configure before the provider started belongs to no provider of this run's program.
        { name: "pulumirpc.ResourceProvider/Configure", from: 1700, to: 1710 },
        { name: "pulumirpc.ResourceProvider/Configure", from: 2200, to: 2300 },
        { name: "newPlugin", from: 2500, to: 2900, prefix: "pulumi-nodejs (resource)" },
    ]),
);

const DEPLOY = "/repo/stacks/deploy.ts";
const DYNAMIC = "/repo/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js";

function events(options: { select: boolean }): ProbeEvent[] {
    return [
        { pid: 1, script: "/usr/bin/npm", event: "start", at: 1000 },
        // ts-node names the deploy script only once it has loaded it.
        { pid: 2, script: "/repo/node_modules/.bin/ts-node", event: "start", at: 1100 },
        ...(options.select
            ? [{ pid: 2, script: DEPLOY, event: "pulumi", args: ["stack", "select"], from: 1300, to: 1400 } as const]
            : []),
        { pid: 2, script: DEPLOY, event: "load", name: "language server", from: 1450, to: 1480 },
        { pid: 2, script: DEPLOY, event: "load", name: "program", from: 1700, to: 2000 },
        { pid: 2, script: DEPLOY, event: "load", name: "@pulumi/kubernetes", from: 1710, to: 1990 },
        { pid: 2, script: DEPLOY, event: "load", name: "@pulumi/pulumi", from: 1720, to: 1950 },
        { pid: 3, script: DYNAMIC, event: "start", at: 2500 },
        { pid: 3, script: DYNAMIC, event: "load", name: "main", from: 2550, to: 2800 },
        { pid: 2, script: DEPLOY, event: "exit", at: 3990 },
        { pid: 1, script: "/usr/bin/npm", event: "exit", at: 4000 },
    ];
}

describe("the fixed cost's parts (bench/phases.ts)", () => {
    it("splits a run into consecutive parts that add up to npm's start to its exit", () => {
        const { phases, inner } = phasesOf(events({ select: true }), SPANS);
        assert.equal(phases.length, PHASES.length);
        assert.deepEqual(phases, [100, 200, 100, 80, 170, 350, 100, 200, 200, 400, 900, 100, 100]);
        assert.equal(
            phases.reduce((a, b) => a + b, 0),
            3000,
        );
        // The SDK's index inside @pulumi/kubernetes's load is counted once, as the SDK's.
        assert.equal(inner.length, INNER.length);
        assert.deepEqual(inner, [230, 50, 250]);
    });

    it("gives the stack select no time when the script skipped it", () => {
        const { phases } = phasesOf(events({ select: false }), SPANS);
        assert.deepEqual(phases.slice(0, 4), [100, 350, 0, 30]);
        assert.equal(
            phases.reduce((a, b) => a + b, 0),
            3000,
        );
    });

    it("names what a run is missing", () => {
        const withoutDynamic = events({ select: false }).filter((event) => event.pid !== 3);
        assert.throws(() => phasesOf(withoutDynamic, SPANS), /the run has no load of main in the dynamic provider/);
        assert.throws(
            () =>
                phasesOf(
                    events({ select: false }),
                    SPANS.filter((span) => span.name !== "pulumirpc.LanguageRuntime/Run"),
                ),
            /no pulumirpc\.LanguageRuntime\/Run span/,
        );
    });
});
