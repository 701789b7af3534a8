/**
 * The audit's judgement, on tables: which images a set of pull secrets
 * covers by the kubelet's lookup (Docker Hub's short names and `library/`
 * images included), whose pull secrets a workload's Pods get, and what it
 * reports of Secrets, entries and orphans. Never a credential in a finding.
 */
import { strict as assert } from "assert";
import { AuditScope, ClusterSnapshot, auditFindings, auditScope } from "../components/audit";
import { encodeDockerConfig } from "../components/dockerConfig";
import { imageRepository, kubeletKey, matchingKeys } from "../components/registryKey";

const PASSWORD = "audit-s3cret-token";
const login = (server: string) => ({ server, username: "bot", password: PASSWORD });
const DECLARED = encodeDockerConfig([login("ghcr.io"), login("https://index.docker.io/v1/")]);
const FIELD_MANAGER = "regcred/p/s/regcred";

const scope: AuditScope = {
    namespaces: ["shop"],
    serviceAccounts: { shop: ["default", "builder"] },
    secretName: "regcred",
    dockerConfigJson: DECLARED,
    fieldManager: FIELD_MANAGER,
};

const b64 = (text: string) => Buffer.from(text).toString("base64");
const ours = [{ manager: FIELD_MANAGER, operation: "Update", fieldsV1: { "f:imagePullSecrets": {} } }];
function secret(namespace: string, name: string, config = DECLARED, type = "kubernetes.io/dockerconfigjson") {
    return { metadata: { namespace, name, managedFields: ours }, type, data: { ".dockerconfigjson": b64(config) } };
}
function account(namespace: string, name: string, entries: string[] = [], managedFields: object[] = ours) {
    return {
        metadata: { namespace, name, managedFields },
        imagePullSecrets: entries.map((entry) => ({ name: entry })),
    };
}
function deployment(name: string, image: string, spec: object = {}) {
    return {
        kind: "Deployment",
        metadata: { namespace: "shop", name },
        spec: { template: { spec: { containers: [{ name: "app", image }], ...spec } } },
    };
}

const healthy: ClusterSnapshot = {
    secrets: [secret("shop", "regcred")],
    serviceAccounts: [account("shop", "default", ["regcred"]), account("shop", "builder", ["regcred"])],
    workloads: [],
};

describe("the audit", () => {
    describe("which images the kubelet finds a credential for", () => {
        const cases: [string, string[], boolean][] = [
            ["ghcr.io/acme/web:1.0", ["ghcr.io"], true],
            ["ghcr.io/acme/web@sha256:abc", ["ghcr.io"], true],
            ["ghcr.io/acme/web", ["ghcr.io/acme"], true],
            ["ghcr.io/other/web", ["ghcr.io/acme"], false],
            ["registry.example.com:5000/app:2", ["registry.example.com:5000"], true],
            ["registry.example.com/app", ["registry.example.com:5000"], false],
            ["app.azurecr.io/web", ["*.azurecr.io"], true],
            // Docker Hub's short names and library/ images, by kubectl's default server and by docker.io.
            ["nginx", ["https://index.docker.io/v1/"], true],
            ["nginx:1.27", ["docker.io"], true],
            ["library/nginx", ["https://index.docker.io/v1/"], true],
            ["acme/web", ["index.docker.io"], true],
            ["docker.io/acme/web", ["https://index.docker.io/v1/"], true],
            ["index.docker.io/acme/web", ["docker.io"], true],
            ["nginx", ["ghcr.io"], false],
            ["localhost:5000/app", ["https://index.docker.io/v1/"], false],
        ];
        for (const [image, servers, covered] of cases) {
            it(`${image} with logins for ${servers.join(", ")}: ${covered ? "covered" : "not covered"}`, () => {
                const keys = servers.map((server) => (kubeletKey(server) as { key: string }).key);
                assert.equal(matchingKeys(keys, imageRepository(image)).length > 0, covered);
            });
        }

        it("names images as the runtime does", () => {
            assert.equal(imageRepository("nginx"), "docker.io/library/nginx");
            assert.equal(imageRepository("acme/web:1"), "docker.io/acme/web");
            assert.equal(imageRepository("localhost/app"), "localhost/app");
            assert.equal(imageRepository("ghcr.io:443/a/b:c@sha256:d"), "ghcr.io:443/a/b");
        });
    });

    describe("workload coverage", () => {
        const workloads = [
            deployment("web", "ghcr.io/acme/web:1"),
            deployment("build", "ghcr.io/acme/build:1", { serviceAccountName: "ci" }),
            deployment("own", "ghcr.io/acme/own:1", { imagePullSecrets: [{ name: "team-pull" }] }),
            deployment("unmanaged", "quay.io/acme/tool:1"),
            deployment("hub", "nginx:1.27", { initContainers: [{ name: "init", image: "busybox" }] }),
        ];
        const cluster: ClusterSnapshot = {
            ...healthy,
            secrets: [...healthy.secrets, secret("shop", "team-pull", encodeDockerConfig([login("quay.io")]))],
            serviceAccounts: [...healthy.serviceAccounts, account("shop", "ci", [], [])],
            workloads,
        };
        const report = auditFindings(scope, cluster);
        const about = (name: string) => report.findings.filter((f) => f.object === `Deployment/${name}`);

        it("covers an image through the service account's entry, and reports nothing for it", () => {
            assert.deepEqual(about("web"), []);
            assert.deepEqual(about("hub"), []);
        });

        it("reports an image whose service account lacks the entry, naming the account and registry", () => {
            assert.deepEqual(about("build"), [
                {
                    namespace: "shop",
                    object: "Deployment/build",
                    container: "app",
                    image: "ghcr.io/acme/build:1",
                    problem: "not-covered",
                    reason: "its service account ci has no pull secret for ghcr.io",
                },
            ]);
        });

        it("judges a workload with its own imagePullSecrets by those alone, as admission does", () => {
            assert.equal(about("own").length, 1);
            assert.match(
                about("own")[0].reason,
                /^its own imagePullSecrets \(team-pull\) hold no login for ghcr\.io; a Pod that names its own gets none/,
            );
        });

        it("ignores images from registries the stack does not manage, and counts what it checked", () => {
            assert.deepEqual(about("unmanaged"), []);
            assert.equal(report.workloads, 5);
            assert.equal(report.images, 5); // web, build, own, hub's nginx and busybox
        });

        it("skips Pods and ReplicaSets a controller owns, and reports a Pod failing to pull", () => {
            const owned = { controller: true, kind: "ReplicaSet", name: "web-1" };
            const pod = {
                kind: "Pod",
                metadata: { namespace: "shop", name: "web-1-x", ownerReferences: [owned] },
                spec: { containers: [{ name: "app", image: "ghcr.io/acme/web:1" }] },
                status: {
                    containerStatuses: [
                        {
                            name: "app",
                            image: "ghcr.io/acme/web:1",
                            state: { waiting: { reason: "ImagePullBackOff" } },
                        },
                    ],
                },
            };
            const result = auditFindings(scope, { ...healthy, workloads: [pod] });
            assert.equal(result.workloads, 0);
            assert.deepEqual(
                result.findings.map((f) => [f.object, f.problem, f.reason]),
                [["Pod/web-1-x", "pull-failing", "ImagePullBackOff from ghcr.io"]],
            );
        });

        it("reads a CronJob's template and a dockercfg Secret", () => {
            const cronJob = {
                kind: "CronJob",
                metadata: { namespace: "shop", name: "nightly" },
                spec: {
                    jobTemplate: {
                        spec: {
                            template: {
                                spec: {
                                    imagePullSecrets: [{ name: "legacy" }],
                                    containers: [{ name: "job", image: "ghcr.io/acme/job" }],
                                },
                            },
                        },
                    },
                },
            };
            const legacy = {
                metadata: { namespace: "shop", name: "legacy" },
                type: "kubernetes.io/dockercfg",
                data: { ".dockercfg": b64(JSON.stringify({ "ghcr.io": { auth: b64("bot:pw") } })) },
            };
            const result = auditFindings(scope, {
                ...healthy,
                secrets: [...healthy.secrets, legacy],
                workloads: [cronJob],
            });
            assert.deepEqual(result.findings, []);
            assert.equal(result.images, 1);
        });
    });

    describe("Secrets, entries and orphans", () => {
        it("reports nothing when everything is in place", () => {
            assert.deepEqual(auditFindings(scope, healthy).findings, []);
        });

        it("reports a Secret missing, of the wrong type, or stale, without its content", () => {
            const problems = (secrets: object[]) =>
                auditFindings(scope, { ...healthy, secrets }).findings.map((f) => f.problem);
            assert.deepEqual(problems([]), ["secret-missing"]);
            assert.deepEqual(problems([secret("shop", "regcred", DECLARED, "Opaque")]), ["secret-wrong-type"]);
            const edited = encodeDockerConfig([{ ...login("ghcr.io"), password: "typed-by-hand" }]);
            const stale = auditFindings(scope, { ...healthy, secrets: [secret("shop", "regcred", edited)] });
            assert.deepEqual(
                stale.findings.map((f) => f.problem),
                ["secret-stale"],
            );
            const text = JSON.stringify(stale);
            for (const forbidden of [PASSWORD, "typed-by-hand", b64(edited), b64("bot:typed-by-hand")]) {
                assert.ok(!text.includes(forbidden), `the report shows ${forbidden}`);
            }
        });

        it("reports each listed service account without our entry", () => {
            const result = auditFindings(scope, {
                ...healthy,
                serviceAccounts: [account("shop", "default", ["other"])],
            });
            assert.deepEqual(
                result.findings.map((f) => [f.object, f.reason]),
                [
                    ["ServiceAccount/builder", "the service account does not exist"],
                    ["ServiceAccount/default", "its imagePullSecrets has no entry for regcred"],
                ],
            );
        });

        it("reports our Secrets and entries outside the scope as orphans, and not another writer's", () => {
            const theirs = [{ manager: "kubectl", operation: "Update", fieldsV1: { "f:imagePullSecrets": {} } }];
            const result = auditFindings(scope, {
                ...healthy,
                secrets: [
                    ...healthy.secrets,
                    secret("gone", "regcred"),
                    {
                        ...secret("other", "regcred"),
                        metadata: { namespace: "other", name: "regcred", managedFields: theirs },
                    },
                ],
                serviceAccounts: [
                    ...healthy.serviceAccounts,
                    account("gone", "default", ["regcred"]),
                    account("other", "default", ["regcred"], theirs),
                ],
            });
            assert.deepEqual(
                result.findings.map((f) => [f.namespace, f.object, f.problem]),
                [
                    ["gone", "Secret/regcred", "orphan-secret"],
                    ["gone", "ServiceAccount/default", "orphan-entry"],
                ],
            );
        });
    });

    describe("the scope", () => {
        it("resolves selectors against the cluster's namespaces now, with the component's defaults", () => {
            const resolved = auditScope(
                {
                    cluster: {},
                    componentName: "regcred@prod",
                    project: "registry-credentials",
                    stack: "prod",
                    args: {
                        registries: [login("ghcr.io")],
                        namespaces: [{ name: "ci", serviceAccounts: ["builder"] }],
                        namespaceSelectors: [{ matchLabels: { team: "x" } }],
                    },
                },
                [
                    { name: "ci", labels: { team: "x" } },
                    { name: "shop", labels: { team: "x" } },
                    { name: "kube-system", labels: { team: "x" } },
                ],
            );
            assert.deepEqual(resolved.namespaces, ["ci", "shop"]);
            assert.deepEqual(resolved.serviceAccounts, { ci: ["builder"], shop: ["default"] });
            assert.equal(resolved.secretName, "regcred@prod");
            assert.equal(resolved.fieldManager, "regcred/registry-credentials/prod/regcred@prod");
            assert.equal(resolved.dockerConfigJson, encodeDockerConfig([login("ghcr.io")]));
        });
    });
});
