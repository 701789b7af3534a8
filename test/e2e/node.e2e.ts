/**
 * The how-to guides' story on a real node: a Pod of a private image sits in
 * `ImagePullBackOff` with "pull access denied", and `pulumi up` of the
 * component is what makes the next one run. A real kubelet on containerd and
 * runc pulls from a real registry with the Secret the component wrote, so
 * every outcome here is read from the Pod's status, as a user reads it.
 */
import { strict as assert } from "assert";
import { RegistryCredentials, RegistryCredentialsArgs, auditCluster } from "../../components";
import { Cluster } from "../../testcluster/controlPlane";
import { kubectlOk } from "../../testcluster/kubectl";
import {
    ManifestRequest,
    Node,
    changeRegistryPassword,
    manifestRequests,
    pushRunnableImage,
    registryLogin,
} from "../../testcluster/node";
import { startCluster, stopCluster } from "../../testcluster/scratch";
import { waitFor } from "../../testcluster/waitFor";
import { createNamespace, getObject } from "./cluster";
import {
    PullOutcome,
    createDeployment,
    createPod,
    isPullAccessDenied,
    podEvents,
    podsOf,
    pullOutcome,
    untilRunning,
} from "./pods";
import { TestProgram, pulumi, withStack } from "./pulumiStack";
import { acceptedSpellings, kubeletLookup, neverMatchedSpellings, writePullSecret } from "./registry";

describe("on a real node, a Pod of a private image", function () {
    let cluster: Cluster;
    let node: Node;
    let image: string;

    before(async function () {
        // A cold machine builds the kubelet, containerd and runc first: several minutes, once.
        this.timeout(60 * 60 * 1000);
        cluster = await startCluster("node", { node: true });
        node = cluster.node!;
        image = `${node.privateRegistry.address}/team/app:1`;
        pushRunnableImage(node.privateRegistry, image, registryLogin(node));
    });

    after(() => stopCluster(cluster));

    /** The component for these namespaces, with the private registry's login as it is now. */
    const pullCredentials =
        (namespaces: RegistryCredentialsArgs["namespaces"], more: Partial<RegistryCredentialsArgs> = {}): TestProgram =>
        (provider) => {
            const login = registryLogin(node);
            new RegistryCredentials(
                "regcred",
                {
                    registries: [
                        {
                            server: node.privateRegistry.address,
                            username: login.username,
                            password: pulumi.secret(login.password),
                        },
                    ],
                    namespaces,
                    ...more,
                },
                { provider },
            );
        };

    const secondsSince = (start: number) => ((Date.now() - start) / 1000).toFixed(1);

    /**
     * What the private registry made of the node's manifest requests since `from` (an earlier count).
     * containerd asks without a login first and sends one after the challenge, so a pull that works
     * shows `no-credentials` and then `authorized`.
     */
    const registrySaw = (from: number): ManifestRequest["outcome"][] => [
        ...new Set(
            manifestRequests(node)
                .slice(from)
                .filter((request) => request.userAgent.startsWith("containerd/"))
                .map((request) => request.outcome),
        ),
    ];

    it("ends in ImagePullBackOff without credentials, and runs once `pulumi up` has written them and the Pod is recreated", async () => {
        await createNamespace(cluster, "node-story");
        const beforeUp = manifestRequests(node).length;
        createDeployment(cluster, "node-story", "web", image);
        await waitForPods(cluster, "node-story", "web", 1);
        const [before] = podsOf(cluster, "node-story", "web");
        const failed = await pullOutcome(cluster, "node-story", before);
        assert.ok(isPullAccessDenied(failed), `expected pull access denied, got ${JSON.stringify(failed)}`);
        assert.match(failed.state === "Running" ? "" : failed.message, /no basic auth credentials/);
        log(`before: ${podEvents(cluster, "node-story", before).join(" | ")}`);
        assert.deepEqual(registrySaw(beforeUp), ["no-credentials"]);

        await withStack(cluster, "node-story", async (stack) => {
            const upStarted = Date.now();
            await stack.up(pullCredentials(["node-story"]));
            log(`pulumi up took ${secondsSince(upStarted)} s`);

            // The ServiceAccount admission plugin copied the account's imagePullSecrets into the Pod
            // when it was created, before the entry existed; a Pod's list never changes afterwards.
            const backingOff = getObject(cluster, "pod", "node-story", before);
            assert.equal(backingOff.spec.imagePullSecrets, undefined, "the old Pod was given the pull secret");
            assert.notEqual((await pullOutcome(cluster, "node-story", before)).state, "Running");

            const afterUp = manifestRequests(node).length;
            const restarted = Date.now();
            kubectlOk(cluster, "rollout", "restart", "deployment/web", "-n", "node-story");
            await eventually(() => podsOf(cluster, "node-story", "web").some((pod) => pod !== before), "a new Pod");
            const after = podsOf(cluster, "node-story", "web").find((pod) => pod !== before)!;
            await untilRunning(cluster, "node-story", after);
            log(`the restarted Deployment's Pod ran ${secondsSince(restarted)} s after kubectl rollout restart`);
            assert.ok(registrySaw(afterUp).includes("authorized"), JSON.stringify(registrySaw(afterUp)));
            assert.deepEqual(getObject(cluster, "pod", "node-story", after).spec.imagePullSecrets, [
                { name: "regcred" },
            ]);
        });
    });

    it("the audit names the failing Pod and its uncovered image before `pulumi up`, and finds nothing once the Pod is recreated", async () => {
        await createNamespace(cluster, "node-audit");
        createDeployment(cluster, "node-audit", "web", image);
        await eventually(() => podsOf(cluster, "node-audit", "web").length === 1, "the Deployment's Pod");
        const [failing] = podsOf(cluster, "node-audit", "web");
        assert.notEqual((await pullOutcome(cluster, "node-audit", failing)).state, "Running");

        const audit = async () => {
            const login = registryLogin(node);
            const report = await auditCluster({
                cluster: { kubeconfig: cluster.kubeconfig, context: cluster.adminContext },
                componentName: "regcred",
                args: { registries: [{ server: node.privateRegistry.address, ...login }], namespaces: ["node-audit"] },
                project: "regcred-e2e",
                stack: "node-audit",
            });
            return report.findings.map((finding) => `${finding.object} ${finding.problem}`).sort();
        };
        assert.deepEqual(await audit(), [
            "Deployment/web not-covered",
            `Pod/${failing} pull-failing`,
            "Secret/regcred secret-missing",
            "ServiceAccount/default entry-missing",
        ]);

        await withStack(cluster, "node-audit", async (stack) => {
            await stack.up(pullCredentials(["node-audit"]));
            kubectlOk(cluster, "rollout", "restart", "deployment/web", "-n", "node-audit");
            await eventually(
                () => podsOf(cluster, "node-audit", "web").some((pod) => pod !== failing),
                "the restarted Deployment's Pod",
            );
            await untilRunning(
                cluster,
                "node-audit",
                podsOf(cluster, "node-audit", "web").find((pod) => pod !== failing)!,
            );
            await eventually(() => podsOf(cluster, "node-audit", "web").length === 1, "the failing Pod to go");
            assert.deepEqual(await audit(), []);
        });
    });

    it("a Pod that names the Secret before it exists runs at its next back-off retry once `pulumi up` writes it", async () => {
        await createNamespace(cluster, "node-later");
        createPod(cluster, "node-later", "early", image, { imagePullSecrets: ["regcred"] });
        assert.notEqual((await pullOutcome(cluster, "node-later", "early")).state, "Running");
        await withStack(cluster, "node-later", async (stack) => {
            await stack.up(pullCredentials(["node-later"], { serviceAccounts: [] }));
            const written = Date.now();
            // The kubelet's back-off between pulls starts at 10 s and doubles: allow a few retries.
            await eventually(
                async () => (await pullOutcome(cluster, "node-later", "early")).state === "Running",
                "the early Pod to run",
                120_000,
            );
            log(`the early Pod ran ${secondsSince(written)} s after the Secret was written`);
        });
    });

    it("a rotation lands in one `pulumi up`: after the registry revokes the old password new Pods fail, and after the up they pull again", async () => {
        await createNamespace(cluster, "node-rotate");
        const original = registryLogin(node);
        await withStack(cluster, "node-rotate", async (stack) => {
            await stack.up(pullCredentials(["node-rotate"]));
            createPod(cluster, "node-rotate", "first", image, { imagePullPolicy: "Always" });
            await untilRunning(cluster, "node-rotate", "first");

            try {
                const revoked = Date.now();
                changeRegistryPassword(node, "rotated-password-2");
                const beforeRotation = manifestRequests(node).length;
                createPod(cluster, "node-rotate", "during", image, { imagePullPolicy: "Always" });
                const during = await pullOutcome(cluster, "node-rotate", "during");
                assert.ok(
                    during.state !== "Running" && /401 Unauthorized|authorization failed/.test(during.message),
                    `the old Secret was not refused: ${JSON.stringify(during)}`,
                );

                const refused = registrySaw(beforeRotation);
                assert.ok(
                    refused.includes("wrong-password") && !refused.includes("authorized"),
                    JSON.stringify(refused),
                );

                const upStarted = Date.now();
                await stack.up(pullCredentials(["node-rotate"]));
                const upSeconds = secondsSince(upStarted);
                const afterRotation = manifestRequests(node).length;
                createPod(cluster, "node-rotate", "after", image, { imagePullPolicy: "Always" });
                await untilRunning(cluster, "node-rotate", "after");
                assert.ok(
                    registrySaw(afterRotation).includes("authorized"),
                    JSON.stringify(registrySaw(afterRotation)),
                );
                log(
                    `rotation: the up took ${upSeconds} s, and a new Pod ran ${secondsSince(upStarted)} s after the up began; ` +
                        `in this test new Pods could not pull for ${secondsSince(revoked)} s, from the revocation on`,
                );
                // Running containers are not pulled again.
                await untilRunning(cluster, "node-rotate", "first");
            } finally {
                changeRegistryPassword(node, original.password);
            }
        });
    });

    it("runs as a listed service account and fails to pull as an unlisted one", async () => {
        await createNamespace(cluster, "node-accounts");
        for (const account of ["builder", "unlisted"]) {
            kubectlOk(cluster, "create", "serviceaccount", account, "-n", "node-accounts");
        }
        await withStack(cluster, "node-accounts", async (stack) => {
            await stack.up(pullCredentials(["node-accounts"], { serviceAccounts: ["builder"] }));
            createPod(cluster, "node-accounts", "as-builder", image, { serviceAccount: "builder" });
            createPod(cluster, "node-accounts", "as-unlisted", image, { serviceAccount: "unlisted" });
            await untilRunning(cluster, "node-accounts", "as-builder");
            assert.ok(isPullAccessDenied(await pullOutcome(cluster, "node-accounts", "as-unlisted")));
        });
    });

    it("in admission-policy mode, runs in a listed namespace and fails to pull in an unlisted one", async () => {
        await createNamespace(cluster, "node-policy");
        await createNamespace(cluster, "node-unlisted");
        await withStack(cluster, "node-policy", async (stack) => {
            await stack.up(pullCredentials(["node-policy"], { attach: "admissionPolicy" }));
            // The API server loads a new policy within moments: until then a new Pod is not mutated.
            await eventually(() => {
                const probe = `probe-${Date.now()}`;
                createPod(cluster, "node-policy", probe, image);
                return getObject(cluster, "pod", "node-policy", probe).spec.imagePullSecrets !== undefined;
            }, "the admission policy to mutate a new Pod");
            createPod(cluster, "node-policy", "listed", image);
            createPod(cluster, "node-unlisted", "unlisted", image);
            await untilRunning(cluster, "node-policy", "listed");
            assert.ok(isPullAccessDenied(await pullOutcome(cluster, "node-unlisted", "unlisted")));
        });
    });

    it("after `pulumi destroy`, new Pods fail to pull again and Pods already running keep running", async () => {
        await createNamespace(cluster, "node-destroy");
        await withStack(cluster, "node-destroy", async (stack) => {
            await stack.up(pullCredentials(["node-destroy"]));
            createPod(cluster, "node-destroy", "running", image, { imagePullPolicy: "Always" });
            await untilRunning(cluster, "node-destroy", "running");

            await stack.destroy();
            createPod(cluster, "node-destroy", "new", image, { imagePullPolicy: "Always" });
            assert.ok(isPullAccessDenied(await pullOutcome(cluster, "node-destroy", "new")));
            await untilRunning(cluster, "node-destroy", "running");
            const restarts = getObject(cluster, "pod", "node-destroy", "running").status.containerStatuses[0]
                .restartCount;
            assert.equal(restarts, 0);
        });
    });

    it("an image the node already holds is not handed to a namespace without credentials", async () => {
        // The node pulls the image once, with credentials, in one namespace...
        await createNamespace(cluster, "node-cache-pulled");
        writePullSecret(cluster, "node-cache-pulled", "spelled", {
            server: node.privateRegistry.address,
            ...registryLogin(node),
        });
        createPod(cluster, "node-cache-pulled", "puller", image, { imagePullSecrets: ["spelled"] });
        await untilRunning(cluster, "node-cache-pulled", "puller");

        // ...and a Pod in another namespace, with no credentials, asks for it from the node's cache.
        await createNamespace(cluster, "node-cache-other");
        const outcomes: Record<string, PullOutcome> = {};
        for (const policy of ["IfNotPresent", "Never"] as const) {
            const pod = `cached-${policy.toLowerCase()}`;
            createPod(cluster, "node-cache-other", pod, image, { imagePullPolicy: policy });
            outcomes[policy] = await pullOutcome(cluster, "node-cache-other", pod);
        }
        log(`a cached image without credentials: ${JSON.stringify(outcomes)}`);
        assert.ok(isPullAccessDenied(outcomes.IfNotPresent), JSON.stringify(outcomes.IfNotPresent));
        assert.equal(outcomes.Never.state, "ErrImageNeverPull", JSON.stringify(outcomes.Never));
    });

    it("runs for every spelling of the server that the kubelet matches, and fails to pull for those it never does, as `pullproof resolve` says", async () => {
        const address = node.privateRegistry.address;
        const login = registryLogin(node);
        // What the component writes (pull.e2e.ts's spellings, and a path that is not the image's), and what it
        // refuses, which kubectl writes as another tool would.
        const byComponent = [
            ...acceptedSpellings(address).map((server) => ({ server, runs: true })),
            { server: `${address}/other`, runs: false },
        ];
        const byKubectl = neverMatchedSpellings(address).map((server) => ({ server, runs: false }));
        const spellings = [...byComponent, ...byKubectl];
        for (const i of spellings.keys()) {
            await createNamespace(cluster, `node-spelling-${i}`);
        }
        await withStack(cluster, "node-spellings", async (stack) => {
            await stack.up((provider) => {
                byComponent.forEach(({ server }, i) => {
                    new RegistryCredentials(
                        `spelling-${i}`,
                        {
                            registries: [{ server, username: login.username, password: pulumi.secret(login.password) }],
                            namespaces: [`node-spelling-${i}`],
                            serviceAccounts: [],
                            secretName: "spelled",
                        },
                        { provider },
                    );
                });
            });
            byKubectl.forEach(({ server }, j) =>
                writePullSecret(cluster, `node-spelling-${byComponent.length + j}`, "spelled", { server, ...login }),
            );

            const outcomes: string[] = [];
            for (const [i, { server, runs }] of spellings.entries()) {
                const namespace = `node-spelling-${i}`;
                const lookup = kubeletLookup(getObject(cluster, "secret", namespace, "spelled"), image);
                createPod(cluster, namespace, "app", image, {
                    imagePullSecrets: ["spelled"],
                    imagePullPolicy: "Always",
                });
                const ran = (await pullOutcome(cluster, namespace, "app")).state === "Running";
                if (ran !== lookup.found || ran !== runs) {
                    outcomes.push(`${JSON.stringify(server)}: the Pod ran=${ran}, resolve found=${lookup.found}`);
                }
            }
            assert.deepEqual(outcomes, [], "a Pod's outcome disagrees with the kubelet's lookup or the expectation");
        });
    });
});

async function waitForPods(cluster: Cluster, namespace: string, app: string, count: number): Promise<void> {
    await eventually(() => podsOf(cluster, namespace, app).length >= count, `${count} Pod of ${namespace}/${app}`);
}

function eventually(check: () => boolean | Promise<boolean>, awaited: string, timeoutMs = 60_000): Promise<void> {
    return waitFor(check, { awaited, timeoutMs, intervalMs: 250 });
}

/** Timings go to the test's output, for the README's figures. */
function log(line: string): void {
    process.stderr.write(`      ${line}\n`);
}
