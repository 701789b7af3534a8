/**
 * A rollout's life on a real API server: rotating the password, adopting a
 * Secret made by kubectl, and a workload that waits for its pull secret.
 */
import { strict as assert } from "assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { RegistryCredentials } from "../../components";
import { kubectlOk } from "../../testcluster/kubectl";
import { createNamespace, getObject, kubectlDockerConfig, secretConfig } from "./cluster";
import { sharedCluster } from "./hooks";
import { E2E_LOGIN, credentials, withStack } from "./pulumiStack";

/** What kubectl writes for the E2E login with this password. */
const kubectlBytes = (password: string) => kubectlDockerConfig(sharedCluster(), { ...E2E_LOGIN, password });

describe("rotation, adoption and ordering, on a real API server", function () {
    it("rotating the password with enableSecretMutable updates the Secret in place and leaves the service account alone", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "rotate-mutable");
        await withStack(cluster, "rotate-mutable", async (stack) => {
            await stack.up(credentials(["rotate-mutable"], { password: "first-token" }));
            const before = getObject(cluster, "secret", "rotate-mutable", "regcred");
            const accountBefore = getObject(cluster, "serviceaccount", "rotate-mutable", "default");

            await stack.up(credentials(["rotate-mutable"], { password: "second-token" }));
            const after = getObject(cluster, "secret", "rotate-mutable", "regcred");
            assert.equal(after.metadata.uid, before.metadata.uid);
            assert.equal(after.metadata.creationTimestamp, before.metadata.creationTimestamp);
            assert.equal(secretConfig(cluster, "rotate-mutable", "regcred"), kubectlBytes("second-token"));
            const accountAfter = getObject(cluster, "serviceaccount", "rotate-mutable", "default");
            assert.equal(accountAfter.metadata.resourceVersion, accountBefore.metadata.resourceVersion);
        });
    });

    it("rotating the password without enableSecretMutable replaces the Secret", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "rotate-replace");
        await withStack(cluster, "rotate-replace", async (stack) => {
            await stack.up(credentials(["rotate-replace"], { password: "first-token" }), {
                enableSecretMutable: false,
            });
            const before = getObject(cluster, "secret", "rotate-replace", "regcred");
            await stack.up(credentials(["rotate-replace"], { password: "second-token" }), {
                enableSecretMutable: false,
            });
            const after = getObject(cluster, "secret", "rotate-replace", "regcred");
            assert.notEqual(after.metadata.uid, before.metadata.uid);
            assert.equal(secretConfig(cluster, "rotate-replace", "regcred"), kubectlBytes("second-token"));
        });
    });

    it("raising the provider's client rate on a deployed stack updates the provider only: no Secret is replaced, no entry rewritten", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "client-rate");
        await withStack(cluster, "client-rate", async (stack) => {
            await stack.up(credentials(["client-rate"], { password: "token" }));
            const uid = getObject(cluster, "secret", "client-rate", "regcred").metadata.uid;
            const account = getObject(cluster, "serviceaccount", "client-rate", "default").metadata.resourceVersion;
            // A no-op preview is a no-op, the entries resource included (its connection is unknown during a preview).
            const noop = await stack.preview(credentials(["client-rate"], { password: "token" }));
            assert.doesNotMatch(noop, /to (create|update|delete|replace)/, noop);
            const preview = await stack.preview(credentials(["client-rate"], { password: "token" }), {
                kubeClientSettings: { qps: 1000, burst: 2000 },
            });
            assert.doesNotMatch(preview, /replace|\+-/, preview);
            await stack.up(credentials(["client-rate"], { password: "token" }), {
                kubeClientSettings: { qps: 1000, burst: 2000 },
            });
            assert.equal(getObject(cluster, "secret", "client-rate", "regcred").metadata.uid, uid);
            assert.equal(
                getObject(cluster, "serviceaccount", "client-rate", "default").metadata.resourceVersion,
                account,
            );
        });
    });

    it("a regcred made by kubectl create secret docker-registry is taken over with no data change (provider 4.25)", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "adopt");
        kubectlOk(
            cluster,
            "create",
            "secret",
            "docker-registry",
            "regcred",
            "-n",
            "adopt",
            "--docker-server=registry.example.com",
            "--docker-username=e2e-user",
            "--docker-password=kept-token",
        );
        const before = getObject(cluster, "secret", "adopt", "regcred");
        await withStack(cluster, "adopt", async (stack) => {
            await stack.up(credentials(["adopt"], { password: "kept-token" }));
            const after = getObject(cluster, "secret", "adopt", "regcred");
            assert.equal(after.metadata.uid, before.metadata.uid);
            assert.equal(after.data[".dockerconfigjson"], before.data[".dockerconfigjson"]);
            assert.ok(
                after.metadata.managedFields.some((entry: any) => entry.operation === "Apply"),
                "the provider now applies the Secret",
            );
        });
    });

    it("a password given as an Output that turns out empty fails up with our message on the component, not behind the SDK's serialization chain; it writes nothing and does not hang", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "late-invalid");
        await withStack(cluster, "late-invalid", async (stack) => {
            const error = await stack.upFails((provider) => {
                const password = pulumi.secret(pulumi.output("known later").apply(() => ""));
                new RegistryCredentials(
                    "regcred",
                    { registries: [{ ...E2E_LOGIN, password }], namespaces: ["late-invalid"] },
                    { provider },
                );
            });
            const diagnostics = error.slice(error.indexOf("Diagnostics:"));
            assert.match(
                diagnostics,
                /registry-credentials:index:RegistryCredentials \(regcred\):\n\s+error: RegistryCredentials "regcred" has an invalid input:\n\s+- registries\[0\]\.password: must not be empty/,
            );
            assert.ok(!diagnostics.includes("error serializing property"), diagnostics);
            assert.equal(secretConfig(cluster, "late-invalid", "regcred"), undefined);
        });
    });

    it("a workload with dependsOn the component is created only after every Secret and the service account entries", async function () {
        const cluster = sharedCluster();
        const namespaces = ["order-a", "order-b"];
        for (const namespace of namespaces) {
            await createNamespace(cluster, namespace);
        }
        const events: EngineEvent[] = [];
        await withStack(cluster, "ordering", async (stack) => {
            await stack.up(
                (provider) => {
                    const component = new RegistryCredentials(
                        "regcred",
                        {
                            registries: [{ ...E2E_LOGIN, password: pulumi.secret("t") }],
                            namespaces,
                            serviceAccounts: ["default"],
                        },
                        { provider },
                    );
                    new k8s.apps.v1.Deployment(
                        "app",
                        {
                            // No nodes run here, so the Deployment never becomes ready: do not wait for it.
                            metadata: { namespace: "order-a", annotations: { "pulumi.com/skipAwait": "true" } },
                            spec: {
                                selector: { matchLabels: { app: "app" } },
                                template: {
                                    metadata: { labels: { app: "app" } },
                                    spec: { containers: [{ name: "app", image: "registry.example.com/app:1" }] },
                                },
                            },
                        },
                        { provider, dependsOn: [component] },
                    );
                },
                {},
                (event) => events.push(event),
            );
            const done = events
                .map((event, index) => ({ index, urn: event.resOutputsEvent?.metadata.urn ?? "" }))
                .filter(({ urn }) => /(core\/v1:Secret|:ServiceAccountEntries)::/.test(urn));
            assert.equal(done.length, 3, "two Secrets and the entries completed");
            const started = events.findIndex((event) =>
                /apps\/v1:Deployment::app$/.test(event.resourcePreEvent?.metadata.urn ?? ""),
            );
            assert.ok(started > 0, "the Deployment was created");
            for (const { index, urn } of done) {
                assert.ok(index < started, `${urn} completed before the Deployment started`);
            }
            const deployments = JSON.parse(
                kubectlOk(cluster, "get", "deployments", "-n", "order-a", "-o", "json"),
            ).items;
            assert.deepEqual(
                deployments.map((item: any) => item.metadata.name.replace(/-[0-9a-z]{8}$/, "")),
                ["app"],
            );
        });
    });
});
