/**
 * Choosing namespaces by label: the selectors' checks, Kubernetes' matching
 * rules, the selection's safety rules (system namespaces, exclusions,
 * terminating namespaces, an empty match, the removal guard), the one list
 * it reads, and what the component declares offline.
 */
import { strict as assert } from "assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Registration, loadComponents, registered, valueOf } from "./mocks";
import { listNamespaces } from "../components/clusterCheck";
import {
    ClusterNamespace,
    LabelSelector,
    matchesSelector,
    removalRefusal,
    selectNamespaces,
    selectorText,
} from "../components/namespaceSelector";
import { namespaceSetProvider } from "../components/namespaceSetResource";
import { FakeApiServer } from "./fakeApiServer";

type Library = Awaited<ReturnType<typeof loadComponents>>;
type Args = import("../components").RegistryCredentialsArgs;

const robot = { server: "ghcr.io", username: "robot", password: "pw" };
let lib: Library;
before(async () => {
    lib = await loadComponents();
});

/** Each problem the arguments have, as "path: reason". */
function problemsOf(args: Partial<Args>): string[] {
    return lib
        .validateArgs("regcred", { registries: [robot], ...args } as Args)
        .map((p) => `${p.propertyPath}: ${p.reason}`);
}

const ns = (name: string, labels: Record<string, string> = {}, terminating?: string): ClusterNamespace => ({
    name,
    labels,
    ...(terminating === undefined ? {} : { terminating }),
});

describe("choosing namespaces by label", () => {
    describe("the selectors' checks", () => {
        it("accepts selectors alone, without namespaces", () => {
            assert.deepEqual(problemsOf({ namespaceSelectors: [{ matchLabels: { team: "a" } }] }), []);
            assert.deepEqual(problemsOf({ namespaces: [], namespaceSelectors: [{}] }), []);
        });

        it("still requires namespaces when there are no selectors, and says selectors are the other way", () => {
            assert.deepEqual(problemsOf({}), [
                "namespaces: is required: list the namespaces to put the pull secret in, or choose them by label with namespaceSelectors",
            ]);
        });

        it("names each bad key, value, operator and misspelt field by its path", () => {
            const found = problemsOf({
                namespaceSelectors: [
                    { matchLabels: { "Team A": "x", ok: "bad value!" } },
                    {
                        matchExpressions: [
                            { key: "tier", operator: "in" as "In", values: ["web"] },
                            { key: "tier", operator: "In" },
                            { key: "legacy", operator: "Exists", values: ["yes"] },
                        ],
                    },
                    { matchLabel: { team: "a" } } as LabelSelector,
                ],
            });
            assert.deepEqual(found, [
                "namespaceSelectors[0].matchLabels: \"Team A\" is not a valid label key: it must be a label key: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
                "namespaceSelectors[0].matchLabels[\"ok\"]: \"bad value!\" is not a valid label value: it must be a label value: empty, or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
                'namespaceSelectors[1].matchExpressions[0].operator: must be one of In, NotIn, Exists, DoesNotExist, not "in" (a string)',
                "namespaceSelectors[1].matchExpressions[1].values: must list at least one value for operator In, not nothing",
                "namespaceSelectors[1].matchExpressions[2].values: must be left out for operator Exists, which looks at the key alone",
                'namespaceSelectors[2].matchLabel: is not a setting here; did you mean "matchLabels"?',
            ]);
        });

        it("takes prefixed keys such as example.com/tier", () => {
            assert.deepEqual(problemsOf({ namespaceSelectors: [{ matchLabels: { "example.com/tier": "web" } }] }), []);
        });

        it("refuses a single selector not in a list, an empty list, and the selection settings without selectors", () => {
            assert.match(
                problemsOf({ namespaceSelectors: { matchLabels: { team: "a" } } as unknown as LabelSelector[] })[0],
                /^namespaceSelectors: must be a list of label selectors .*; for one selector, write \[selector\]$/,
            );
            assert.match(problemsOf({ namespaceSelectors: [] })[0], /^namespaceSelectors: must list at least one/);
            assert.deepEqual(
                problemsOf({
                    namespaces: ["a"],
                    excludeNamespaces: ["b"],
                    allowEmptySelection: true,
                    maxRemovedShare: 0.5,
                }).map((p) => p.split(":")[0]),
                ["excludeNamespaces", "allowEmptySelection", "maxRemovedShare"],
            );
        });

        it("refuses a namespace both listed and excluded, and a share outside 0 to 1", () => {
            assert.deepEqual(
                problemsOf({
                    namespaces: ["shop"],
                    namespaceSelectors: [{}],
                    excludeNamespaces: ["shop", "Bad"],
                    maxRemovedShare: 25,
                }).map((p) => p.split(":")[0]),
                ["excludeNamespaces[0]", "excludeNamespaces[1]", "maxRemovedShare"],
            );
        });
    });

    describe("matching, by Kubernetes' rules", () => {
        const labels = { team: "shop", tier: "web", "example.com/pci": "" };
        const cases: [LabelSelector, boolean][] = [
            [{}, true],
            [{ matchLabels: { team: "shop" } }, true],
            [{ matchLabels: { team: "shop", tier: "api" } }, false],
            [{ matchLabels: { "example.com/pci": "" } }, true],
            [{ matchExpressions: [{ key: "tier", operator: "In", values: ["web", "api"] }] }, true],
            [{ matchExpressions: [{ key: "absent", operator: "In", values: [""] }] }, false],
            [{ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["web"] }] }, false],
            // NotIn matches a namespace without the label at all.
            [{ matchExpressions: [{ key: "absent", operator: "NotIn", values: ["x"] }] }, true],
            [{ matchExpressions: [{ key: "example.com/pci", operator: "Exists" }] }, true],
            [{ matchExpressions: [{ key: "team", operator: "DoesNotExist" }] }, false],
            // matchLabels and matchExpressions are ANDed.
            [
                {
                    matchLabels: { team: "shop" },
                    matchExpressions: [{ key: "legacy", operator: "Exists" }],
                },
                false,
            ],
        ];
        for (const [selector, expected] of cases) {
            it(`"${selectorText(selector)}" ${expected ? "matches" : "does not match"}`, () => {
                assert.equal(matchesSelector(selector, labels), expected);
            });
        }
    });

    describe("the selection", () => {
        const cluster = [
            ns("shop", { regcred: "on" }),
            ns("search", { regcred: "on" }),
            ns("sandbox", { regcred: "on" }),
            ns("kube-system", { regcred: "on" }),
            ns("kube-public"),
            ns("openshift-monitoring", { regcred: "on" }),
            ns("leaving", { regcred: "on" }, "2026-12-07T06:00:00Z"),
            ns("other"),
        ];
        const on = [{ matchLabels: { regcred: "on" } }];

        it("ORs the selectors, skips system namespaces and exclusions, and sorts", () => {
            const result = selectNamespaces(
                {
                    selectors: [
                        { matchLabels: { regcred: "on" } },
                        { matchExpressions: [{ key: "regcred", operator: "DoesNotExist" }] },
                    ],
                    exclude: ["sandbox"],
                    listed: [],
                },
                cluster,
            );
            assert.deepEqual(result.selected, ["other", "search", "shop"]);
        });

        it("selects a system namespace only by listing it, and declares a listed namespace once, as listed", () => {
            const result = selectNamespaces({ selectors: [{}], listed: ["kube-system", "shop"] }, cluster);
            assert.ok(!result.selected.includes("kube-system"));
            assert.ok(!result.selected.includes("shop"));
            assert.ok(!result.selected.includes("kube-public"));
            assert.deepEqual(result.selected, ["other", "sandbox", "search"]);
        });

        it("skips a namespace being deleted, with a note that says since when", () => {
            const result = selectNamespaces({ selectors: on, listed: [] }, cluster);
            assert.ok(!result.selected.includes("leaving"));
            assert.match(result.skipped.leaving, /being deleted \(since 2026-12-07T06:00:00Z\): skipped/);
        });

        it("calls selectors that match nothing an error, naming them, unless an empty set is allowed", () => {
            const selectors = [{ matchLabels: { regcred: "of" } }];
            const empty = selectNamespaces({ selectors, listed: [] }, cluster).empty;
            assert.match(
                empty ?? "",
                /^namespaceSelectors match no namespace \("regcred=of"; system namespaces are never selected\)/,
            );
            assert.match(empty ?? "", /allowEmptySelection: true/);
            assert.equal(selectNamespaces({ selectors, listed: [], allowEmpty: true }, cluster).empty, undefined);
        });

        it("does not call a match empty when the only namespace it matches is also listed", () => {
            const result = selectNamespaces({ selectors: [{ matchLabels: { team: "x" } }], listed: ["shop"] }, [
                ns("shop", { team: "x" }),
            ]);
            assert.deepEqual(result, { selected: [], skipped: {} });
        });
    });

    describe("the removal guard", () => {
        const ten = Array.from({ length: 10 }, (_, i) => `team-${i}`);

        it("lets an update remove a quarter of the namespaces, or a single one however few there are", () => {
            assert.equal(removalRefusal(ten, ten.slice(2)), undefined);
            assert.equal(removalRefusal(["a", "b"], ["a"]), undefined);
        });

        it("refuses removing more than maxRemovedShare, naming the namespaces and the setting", () => {
            const refusal = removalRefusal(ten, ten.slice(0, 7));
            assert.match(
                refusal ?? "",
                /^this update would remove the pull Secret from 3 of the 10 namespaces it is in \(30%; team-7, team-8, team-9\), more than maxRemovedShare allows \(25%\)\. Nothing was removed\./,
            );
            assert.match(refusal ?? "", /maxRemovedShare: 1 \(or at least 0\.3\)/);
            assert.equal(removalRefusal(ten, [], 1), undefined);
        });

        it("fails the NamespaceSet's check on the state it last stored, and passes its first", async () => {
            const provider = namespaceSetProvider as Required<typeof namespaceSetProvider>;
            const first = await provider.check({}, { namespaces: ten, maxRemovedShare: 0.25 });
            assert.equal(first.failures, undefined);
            const emptied = await provider.check(
                { namespaces: ten, maxRemovedShare: 0.25 },
                { namespaces: [], maxRemovedShare: 0.25 },
            );
            assert.equal(emptied.failures?.[0].property, "namespaces");
            assert.match(emptied.failures?.[0].reason ?? "", /from 10 of the 10 namespaces/);
            const allowed = await provider.check(
                { namespaces: ten, maxRemovedShare: 0.25 },
                { namespaces: [], maxRemovedShare: 1 },
            );
            assert.equal(allowed.failures, undefined);
        });

        it("fails the NamespaceSet's check with the component's reason when the selection could not be resolved, even on a first update", async () => {
            const provider = namespaceSetProvider as Required<typeof namespaceSetProvider>;
            const refusal = "namespaceSelectors could not be resolved";
            for (const olds of [{}, { namespaces: ten, maxRemovedShare: 0.25 }]) {
                const checked = await provider.check(olds, { namespaces: ten, maxRemovedShare: 1, refusal });
                assert.deepEqual(checked.failures, [{ property: "namespaces", reason: refusal }]);
            }
        });
    });

    describe("the one list it reads", () => {
        let api: FakeApiServer;
        beforeEach(() => (api = new FakeApiServer()));
        afterEach(() => api.stop());

        it("reads every page with each namespace's labels and whether it is being deleted", async () => {
            const server = await api.start();
            api.namespaces = Array.from({ length: 600 }, (_, i) => ({
                metadata: { name: `team-${i}`, labels: { n: String(i) } },
            }));
            api.namespaces[3].metadata.deletionTimestamp = "2026-12-07T06:00:00Z";
            const listing = await listNamespaces({ server });
            assert.ok("namespaces" in listing);
            assert.equal(listing.namespaces.length, 600);
            assert.deepEqual(listing.namespaces[599], { name: "team-599", labels: { n: "599" } });
            assert.equal(listing.namespaces[3].terminating, "2026-12-07T06:00:00Z");
            assert.equal(api.requests.length, 2);
        });

        it("says the list was refused, never that there are no namespaces", async () => {
            const server = await api.start();
            api.namespaceListStatus = 403;
            const listing = await listNamespaces({ server });
            assert.ok("unlisted" in listing && /HTTP 403.*forbidden/.test(listing.unlisted), JSON.stringify(listing));
            const unreachable = await listNamespaces({ server: "http://127.0.0.1:1" });
            assert.ok("unreachable" in unreachable, JSON.stringify(unreachable));
        });
    });

    describe("the component, offline", () => {
        let warnings: string[];
        const warn = pulumi.log.warn;
        beforeEach(() => {
            warnings = [];
            pulumi.log.warn = async (message: string) => void warnings.push(message);
        });
        afterEach(() => (pulumi.log.warn = warn));

        async function declare(args: Partial<Args>): Promise<{
            component: import("../components").RegistryCredentials;
            registrations: Registration[];
        }> {
            let component!: import("../components").RegistryCredentials;
            const registrations = await registered(() => {
                component = new lib.RegistryCredentials("regcred", { registries: [robot], ...args } as Args);
                return [component, ...Object.values(component.secrets)];
            });
            await valueOf(component.namespaces);
            return { component, registrations };
        }

        it("declares the listed namespaces, says the selectors are resolved at preview, and keeps the set in state", async () => {
            const { component, registrations } = await declare({
                namespaces: ["shop"],
                namespaceSelectors: [{ matchLabels: { "pull-secrets": "ghcr" } }],
            });
            assert.deepEqual(await valueOf(component.namespaces), ["shop"]);
            assert.deepEqual(Object.keys(component.secrets), ["shop"]);
            assert.deepEqual(component.serviceAccounts, ["shop/default"]);
            assert.equal(
                warnings.filter((w) =>
                    w.includes(
                        'namespaceSelectors ("pull-secrets=ghcr") are resolved against the cluster at preview and up',
                    ),
                ).length,
                1,
            );
            const set = registrations.find((r) => r.name === "regcred/namespaces");
            assert.ok(set, "no NamespaceSet declared");
            assert.deepEqual(set.inputs.namespaces, ["shop"]);
            assert.equal(set.inputs.maxRemovedShare, 0.25);
        });

        it("declares an entries resource for selected namespaces even when none is listed", async () => {
            const { registrations } = await declare({ namespaceSelectors: [{}] });
            const entries = registrations.find((r) => r.name === "regcred/service-accounts");
            assert.ok(entries, "no entries resource");
            assert.deepEqual(entries.inputs.entries, {});
        });

        it("a workload with dependsOn: [component] waits for the children declared after the list too", async () => {
            let workload!: k8s.apps.v1.Deployment;
            const registrations = await registered(() => {
                const component = new lib.RegistryCredentials("regcred", {
                    registries: [robot],
                    namespaces: ["shop"],
                    namespaceSelectors: [{}],
                });
                workload = new k8s.apps.v1.Deployment(
                    "app",
                    { spec: { selector: {}, template: {} } },
                    { dependsOn: [component] },
                );
                return [workload];
            });
            const workloadUrn = await valueOf(workload.urn);
            const children = registrations.filter((r) => r.custom && r.urn !== workloadUrn);
            // The Secret, and the NamespaceSet and entries resource, which are declared only once the selection is.
            assert.deepEqual(children.map((r) => r.name).sort(), [
                "regcred/namespaces",
                "regcred/service-accounts",
                "regcred/shop",
            ]);
            const dependencies = registrations.find((r) => r.urn === workloadUrn)!.dependencies;
            assert.deepEqual([...dependencies].sort(), children.map((r) => r.urn).sort());
        });

        it("in admission-policy mode, declares the policy and its binding once the selection is, and no entries", async () => {
            let component!: import("../components").RegistryCredentials;
            const registrations = await registered(() => {
                component = new lib.RegistryCredentials("regcred", {
                    registries: [robot],
                    namespaces: ["shop"],
                    namespaceSelectors: [{}],
                    attach: "admissionPolicy",
                });
                return [component];
            });
            await valueOf(component.namespaces);
            const policy = component.admissionPolicy;
            assert.ok(policy, "no admission policy");
            const more = await registered(() => [policy.policy, policy.binding]);
            const binding = [...registrations, ...more].find((r) => r.name === "regcred/admission-policy-binding");
            assert.deepEqual(binding?.inputs.spec.matchResources.namespaceSelector.matchExpressions[0].values, [
                "shop",
            ]);
            assert.equal(component.serviceAccountEntries, undefined);
        });

        it("without selectors, declares no NamespaceSet", async () => {
            const { registrations } = await declare({ namespaces: ["shop"] });
            assert.equal(registrations.filter((r) => r.name === "regcred/namespaces").length, 0);
        });
    });
});
