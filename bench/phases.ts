/**
 * One no-op `npm run up`, split along its critical path (bench/fixedCost.ts):
 * from the events bench/phaseProbe.ts records in its Node processes and the
 * spans of the CLI's own trace, all in milliseconds since the epoch.
 */

/** The parts of one run, in the order they happen, in milliseconds. */
export const PHASES = [
    "npm starts the script's Node process",
    "Node starts and loads the deploy script",
    "`pulumi stack select --create`, a CLI process of its own",
    "the SDK's language server loads (@pulumi/pulumi/automation/server)",
    "the CLI starts, reads the project, stack and state, and asks for the program",
    "the stacks program loads",
    "the program reads its config and declares the cluster's provider",
    "the Kubernetes provider starts and is configured",
    "the Secrets' steps (10 checks and diffs)",
    "the dynamic provider starts (a Node process)",
    "the entries' step, and the program ends",
    "the engine finishes and writes the state",
    "the processes exit",
] as const;

/** Of those, the parts inside another, shown in brackets. */
export const INNER: readonly { readonly label: string; readonly within: (typeof PHASES)[number] }[] = [
    { label: "of which @pulumi/pulumi's index", within: "the stacks program loads" },
    { label: "of which @pulumi/kubernetes, less the SDK it loads", within: "the stacks program loads" },
    { label: "of which its modules: the SDK's runtime, gRPC", within: "the dynamic provider starts (a Node process)" },
];
export interface Span {
    readonly name: string;
    readonly from: number;
    readonly to: number;
    readonly attributes: Record<string, string>;
}

/** The CLI's spans, from its `--otel-traces file://` output, in ms since the epoch. */
export function readSpans(text: string): Span[] {
    const spans: Span[] = [];
    for (const line of text.split("\n").filter((line) => line.trim() !== "")) {
        for (const resource of JSON.parse(line).resourceSpans ?? []) {
            for (const scope of resource.scopeSpans ?? []) {
                for (const span of scope.spans ?? []) {
                    spans.push({
                        name: span.name,
                        from: Number(BigInt(span.startTimeUnixNano) / 1000n) / 1000,
                        to: Number(BigInt(span.endTimeUnixNano) / 1000n) / 1000,
                        attributes: Object.fromEntries(
                            (span.attributes ?? []).map(
                                (attribute: { key: string; value: { stringValue?: string } }) => [
                                    attribute.key,
                                    attribute.value.stringValue ?? "",
                                ],
                            ),
                        ),
                    });
                }
            }
        }
    }
    return spans.sort((a, b) => a.from - b.from);
}

export interface ProbeEvent {
    readonly pid: number;
    readonly script?: string;
    readonly event: "start" | "load" | "pulumi" | "exit";
    readonly name?: string;
    readonly args?: readonly string[];
    readonly at?: number;
    readonly from?: number;
    readonly to?: number;
}

/** One run split into PHASES (and INNER), from the probe's events and the CLI's spans. */
export function phasesOf(events: readonly ProbeEvent[], spans: readonly Span[]): { phases: number[]; inner: number[] } {
    const find = <T>(what: string, value: T | undefined): T => {
        if (value === undefined) {
            throw new Error(`the run has no ${what}`);
        }
        return value;
    };
    // A process by any of its events' script: ts-node names the deploy script only once it has loaded.
    const of = (match: (script: string) => boolean) => {
        const pids = new Set(events.filter((event) => match(event.script ?? "")).map((event) => event.pid));
        return events.filter((event) => pids.has(event.pid));
    };
    const npm = of((script) => /npm-cli\.js$|\/npm$/.test(script));
    const deploy = of((script) => /stacks\/deploy\.ts$/.test(script));
    const dynamic = of((script) => /dynamic-provider/.test(script));
    const startOf = (process: ProbeEvent[], which: string) =>
        find(`start of ${which}`, process.find((e) => e.event === "start")?.at);
    const interval = (what: string, event: ProbeEvent | undefined) => {
        const found = find(what, event);
        return { from: find(what, found.from), to: find(what, found.to) };
    };
    const loadOf = (process: ProbeEvent[], which: string, name: string) =>
        interval(
            `load of ${name} in ${which}`,
            process.find((e) => e.event === "load" && e.name === name),
        );
    const span = (name: string, where: (span: Span) => boolean = () => true) =>
        find(
            `${name} span`,
            spans.find((s) => s.name === name && where(s)),
        );

    const selected = deploy.find((e) => e.event === "pulumi" && e.args?.[0] === "stack");
    const select = selected === undefined ? undefined : interval("stack select", selected);
    const server = loadOf(deploy, "the deploy script", "language server");
    const run = span("pulumirpc.LanguageRuntime/Run");
    const program = loadOf(deploy, "the deploy script", "program");
    const kubernetesPlugin = span("newPlugin", (s) => s.attributes.prefix?.startsWith("kubernetes") ?? false);
    const configure = span("pulumirpc.ResourceProvider/Configure", (s) => s.from >= kubernetesPlugin.to);
    const dynamicPlugin = span("newPlugin", (s) => s.attributes.prefix?.startsWith("pulumi-nodejs") ?? false);
    const root = span("pulumi");
    const boundaries = [
        startOf(npm, "npm"),
        startOf(deploy, "the deploy script"),
        select?.from ?? server.from,
        select?.to ?? server.from,
        server.to,
        run.from,
        program.to,
        kubernetesPlugin.from,
        configure.to,
        dynamicPlugin.from,
        dynamicPlugin.to,
        run.to,
        root.to,
        find("npm's exit", npm.find((e) => e.event === "exit")?.at),
    ];
    // The server's start, between its load and the CLI's, is a few milliseconds: it goes with the CLI's start.
    const sdk = loadOf(deploy, "the deploy script", "@pulumi/pulumi");
    const kubernetes = loadOf(deploy, "the deploy script", "@pulumi/kubernetes");
    // @pulumi/kubernetes loads the SDK's index first, when the program has not yet.
    const sdkInside = sdk.from >= kubernetes.from && sdk.to <= kubernetes.to ? sdk.to - sdk.from : 0;
    const dynamicModules = loadOf(dynamic, "the dynamic provider", "main");
    return {
        phases: boundaries.slice(1).map((to, index) => to - boundaries[index]),
        inner: [
            sdk.to - sdk.from,
            kubernetes.to - kubernetes.from - sdkInside,
            dynamicModules.to - dynamicModules.from,
        ],
    };
}
