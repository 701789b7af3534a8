/**
 * What stacks/pulumiRun.ts changes in the process that serves the program:
 * the SDK's promise-tracking stack traces are not recorded, every other
 * stack trace is formatted as before; and a program's own RunError is
 * reported once.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { reportingOnce, untracedPromises } from "../stacks/pulumiRun";

// The SDK's own bookkeeping, as a resource registration calls it.
const { debuggablePromise } = require("@pulumi/pulumi/runtime/debuggable");

describe("the program's process", () => {
    const installed = Error.prepareStackTrace;
    const debugLeaks = process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    afterEach(() => {
        Error.prepareStackTrace = installed;
        if (debugLeaks === undefined) {
            delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
        } else {
            process.env.PULUMI_DEBUG_PROMISE_LEAKS = debugLeaks;
        }
    });

    /** A source-map hook that says it ran, in place of ts-node's. */
    const mappingHook = () => (Error.prepareStackTrace = () => "mapped by the source-map hook");

    /** The trace the SDK records for one tracked promise. */
    function trackedPromiseTrace(): string {
        const tracked = Promise.resolve();
        void debuggablePromise(tracked, "a test");
        return (tracked as unknown as { _debugStackTrace: string })._debugStackTrace;
    }

    it("keeps one shared line for each of the SDK's promise-tracking traces, and maps every other trace as before", () => {
        mappingHook();
        untracedPromises();
        const [one, another] = [trackedPromiseTrace(), trackedPromiseTrace()];
        assert.match(one, /^\(not recorded: set PULUMI_DEBUG_PROMISE_LEAKS=true/);
        assert.equal(another, one);
        assert.equal(new Error("a real failure").stack, "mapped by the source-map hook");
    });

    it("records them, mapped, when PULUMI_DEBUG_PROMISE_LEAKS asks for the leak report", () => {
        mappingHook();
        process.env.PULUMI_DEBUG_PROMISE_LEAKS = "true";
        untracedPromises();
        assert.equal(trackedPromiseTrace(), "mapped by the source-map hook");
    });

    it("without a source-map hook, formats every other trace as Node does", () => {
        // Node's own formatting: no hook at all (the type says there always is one).
        (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
        const before = new Error("a real failure").stack;
        untracedPromises();
        assert.match(trackedPromiseTrace(), /^\(not recorded/);
        const after = new Error("a real failure").stack;
        // The same text, but for the line each was made on.
        assert.equal(after?.replace(/:\d+:\d+\)/, ""), before?.replace(/:\d+:\d+\)/, ""));
        assert.match(after ?? "", /^Error: a real failure\n {4}at /);
    });
});

describe("the program the language server runs", () => {
    it("logs a RunError (a config or argument mistake) once, as an error, instead of failing with it, which the SDK prints twice", async () => {
        const logged: string[] = [];
        const error = pulumi.log.error;
        pulumi.log.error = async (message: string) => void logged.push(message);
        try {
            await reportingOnce(async () => {
                throw new pulumi.RunError('Stack "dev" has a configuration problem');
            })();
        } finally {
            pulumi.log.error = error;
        }
        assert.deepEqual(logged, ['Stack "dev" has a configuration problem']);
    });

    it("lets any other error through, for the SDK to report with its stack trace", async () => {
        await assert.rejects(
            reportingOnce(async () => {
                throw new TypeError("a bug");
            })(),
            /a bug/,
        );
    });
});
