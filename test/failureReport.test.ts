/**
 * The one message a component gives about what did not land, and the
 * reading of Outputs it rests on, on Pulumi's mock engine (an update, not
 * a preview).
 */
import "./mocks";
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { reportFailures } from "../components/failureReport";
import { settledValue } from "../components/outputState";

/** Runs `body` with pulumi.log.error recording instead of printing. */
function loggedErrors(body: () => void): string[] {
    const errors: string[] = [];
    const log = pulumi.log as { error: (message: string) => Promise<void> };
    const original = log.error;
    log.error = async (message: string) => void errors.push(message);
    try {
        body();
    } finally {
        log.error = original;
    }
    return errors;
}

describe("what did not land", () => {
    const component = new pulumi.ComponentResource("test:index:Component", "report");
    const namespaces = Array.from({ length: 1000 }, (_, i) => `team-${i}`);
    const landed = new Set(namespaces);

    it("names each namespace once, those that share a reason on one line, and says how many of how many", () => {
        let failures: Record<string, string> = {};
        const errors = loggedErrors(() => {
            failures = reportFailures(component, {
                label: 'context "prod"',
                check: {
                    badNamespaces: {
                        "team-7": "the namespace does not exist",
                        "team-8": "the namespace does not exist",
                    },
                },
                namespaces,
                landed: new Set(namespaces.filter((namespace) => namespace !== "team-9")),
                entryFailures: { "team-12/defualt": "service account team-12/defualt does not exist" },
            });
        });
        assert.deepEqual(Object.keys(failures).sort(), ["team-12/defualt", "team-7", "team-8", "team-9"]);
        assert.equal(errors.length, 1);
        assert.deepEqual(errors[0].split("\n"), [
            'On context "prod": 4 namespaces of 1,000 are not rolled out; the other 996 are:',
            "  - team-7, team-8: the namespace does not exist",
            "  - team-9: its Secret could not be written (the Secret's own error says why); nothing new names it there, and what named the old one still does",
            "  - team-12/defualt: service account team-12/defualt does not exist (the namespace's Secret is in place)",
            "Fix these and run `pulumi up` again: it retries them and leaves the rest as they are.",
        ]);
    });

    it("says a cluster that cannot be reached in one line, however many namespaces it has", () => {
        const errors = loggedErrors(() =>
            reportFailures(component, {
                label: 'context "eu"',
                check: { unreachable: "connect ECONNREFUSED", badNamespaces: {} },
                namespaces,
                landed: new Set(),
                entryFailures: {},
            }),
        );
        assert.deepEqual(errors[0].split("\n").slice(0, 2), [
            'On context "eu": 1,000 namespaces of 1,000 are not rolled out:',
            "  - all 1,000 namespaces: the cluster cannot be reached: connect ECONNREFUSED",
        ]);
    });

    it("says nothing when everything landed", () => {
        assert.deepEqual(
            loggedErrors(() =>
                reportFailures(component, {
                    label: "x",
                    check: { badNamespaces: {} },
                    namespaces,
                    landed,
                    entryFailures: {},
                }),
            ),
            [],
        );
    });
});

describe("reading an Output's state", () => {
    it("tells a known value from an unknown one, and counts a rejected one as unknown", async () => {
        assert.deepEqual(await settledValue(pulumi.output("value")), { known: true, value: "value" });
        assert.deepEqual(await settledValue(pulumi.output(undefined)), { known: true, value: undefined });
        assert.deepEqual(await settledValue(pulumi.output(pulumi.unknown)), { known: false });
        assert.deepEqual(await settledValue(pulumi.output({ nested: pulumi.unknown })), { known: false });
        const rejected = pulumi.output(Promise.reject(new Error("a failed resource")));
        assert.deepEqual(await settledValue(rejected), { known: false });
    });
});
