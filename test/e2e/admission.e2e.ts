/**
 * attach: "admissionPolicy": a MutatingAdmissionPolicy adds our entry to
 * every Pod created in the listed namespaces. Pods need no scheduler or
 * kubelet to be created, so the API server's answer is the whole story.
 */
import { strict as assert } from "assert";
import { Cluster } from "../../testcluster/controlPlane";
import { kubectl, kubectlOk } from "../../testcluster/kubectl";
import { waitFor } from "../../testcluster/waitFor";
import { createNamespace, labelNamespace, secretConfig } from "./cluster";
import { sharedCluster } from "./hooks";
import { allowSecrets, refuseSecretIn, untilRefused } from "./policies";
import { credentials, withStack } from "./pulumiStack";

describe("admission-policy mode", function () {
    it("adds the Secret to new Pods in the listed namespaces only, after any entries they or their service account have", async function () {
        const cluster = sharedCluster();
        for (const namespace of ["adm-a", "adm-b", "adm-other"]) {
            await createNamespace(cluster, namespace);
        }
        kubectlOk(
            cluster,
            "patch",
            "serviceaccount",
            "default",
            "-n",
            "adm-b",
            "-p",
            JSON.stringify({ imagePullSecrets: [{ name: "other-from-sa" }] }),
        );

        await withStack(cluster, "admission", async (stack) => {
            await stack.up(credentials(["adm-a", "adm-b"], { attach: "admissionPolicy" }));
            // No service account was touched.
            assert.equal(
                JSON.parse(kubectlOk(cluster, "get", "serviceaccount", "default", "-n", "adm-a", "-o", "json"))
                    .imagePullSecrets,
                undefined,
            );

            // The API server loads a new policy within moments: wait until a probe Pod is mutated.
            await eventually(() => pod(cluster, "adm-a", `probe-${Date.now()}`).includes("regcred"));

            assert.deepEqual(pod(cluster, "adm-a", "plain"), ["regcred"]);
            assert.deepEqual(pod(cluster, "adm-a", "own-list", ["mine"]), ["mine", "regcred"]);
            assert.deepEqual(pod(cluster, "adm-a", "already", ["regcred"]), ["regcred"]);
            assert.deepEqual(pod(cluster, "adm-b", "from-sa"), ["other-from-sa", "regcred"]);
            assert.deepEqual(pod(cluster, "adm-other", "elsewhere"), []);

            await stack.destroy();
            await eventually(() => !pod(cluster, "adm-a", `after-${Date.now()}`).includes("regcred"));
        });
    });

    it("with namespaceSelectors, a namespace labelled between two ups gets the Secret on its new Pods once up has rolled it out", async function () {
        const cluster = sharedCluster();
        for (const namespace of ["adm-sel-a", "adm-sel-b"]) {
            await createNamespace(cluster, namespace);
        }
        labelNamespace(cluster, "adm-sel-a", "e2e-admission=selected");
        const program = credentials([], {
            attach: "admissionPolicy",
            namespaceSelectors: [{ matchLabels: { "e2e-admission": "selected" } }],
        });
        await withStack(cluster, "admission-selectors", async (stack) => {
            await stack.up(program);
            await eventually(() => pod(cluster, "adm-sel-a", `probe-${Date.now()}`).includes("regcred"));

            // Labelled now: until the next up it has no Secret, so the policy gives its Pods none.
            labelNamespace(cluster, "adm-sel-b", "e2e-admission=selected");
            assert.deepEqual(pod(cluster, "adm-sel-b", "before"), []);
            await stack.up(program);
            assert.ok(secretConfig(cluster, "adm-sel-b", "regcred") !== undefined);
            await eventually(() => pod(cluster, "adm-sel-b", `probe-${Date.now()}`).includes("regcred"));
        });
    });

    it("a namespace whose Secret is refused holds back no other: the binding selects the rest, and the next up adds it", async function () {
        const cluster = sharedCluster();
        const namespaces = ["adm-iso-a", "adm-iso-refused", "adm-iso-b"];
        for (const namespace of namespaces) {
            await createNamespace(cluster, namespace);
        }
        const policy = refuseSecretIn(cluster, "adm-iso-refused");
        try {
            await untilRefused(cluster, "adm-iso-refused");
            await withStack(cluster, "admission-isolation", async (stack) => {
                const error = await stack.upFails(credentials(namespaces, { attach: "admissionPolicy" }));
                assert.match(error, /1 namespace of 3 is not rolled out; the other 2 are/);
                await eventually(() => pod(cluster, "adm-iso-a", `probe-${Date.now()}`).includes("regcred"));
                assert.deepEqual(pod(cluster, "adm-iso-b", "plain"), ["regcred"]);
                // No new Pod is given a Secret that is not there.
                assert.deepEqual(pod(cluster, "adm-iso-refused", "plain"), []);

                await allowSecrets(cluster, policy, "adm-iso-refused");
                await stack.up(credentials(namespaces, { attach: "admissionPolicy" }));
                await eventually(() => pod(cluster, "adm-iso-refused", `probe-${Date.now()}`).includes("regcred"));
            });
        } finally {
            await allowSecrets(cluster, policy, "adm-iso-refused");
        }
    });
});

/** Creates a Pod (a dry run on the server, which runs admission in full) and returns its imagePullSecrets' names. */
function pod(cluster: Cluster, namespace: string, name: string, imagePullSecrets?: string[]): string[] {
    const manifest = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace },
        spec: {
            containers: [{ name: "app", image: "registry.example.com/team/app:1" }],
            ...(imagePullSecrets ? { imagePullSecrets: imagePullSecrets.map((entry) => ({ name: entry })) } : {}),
        },
    };
    const result = kubectl(cluster, ["create", "--dry-run=server", "-f", "-", "-o", "json"], {
        input: JSON.stringify(manifest),
    });
    assert.equal(result.status, 0, result.stderr);
    return (JSON.parse(result.stdout).spec.imagePullSecrets ?? []).map((entry: { name: string }) => entry.name);
}

/** Until a new Pod shows what `check` expects: the API server applies a policy, or drops it, a moment after the write. */
async function eventually(check: () => boolean, seconds = 20): Promise<void> {
    await waitFor(check, {
        awaited: "a new Pod to show the admission policy's change",
        timeoutMs: seconds * 1000,
        intervalMs: 500,
    });
}
