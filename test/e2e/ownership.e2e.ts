/**
 * "Who owns imagePullSecrets" (README), row by row, on a real API server:
 * arrange a service account with kubectl, run the real `pulumi up`, and read
 * back the list, its managers and the error a user sees.
 */
import { strict as assert } from "assert";
import { createNamespace, kubectlDockerConfig, kubectlOk, managersOf, secretConfig, serverSideApply, serviceAccountEntries } from "./cluster";
import { sharedCluster } from "./hooks";
import { E2E_LOGIN, credentials, withStack } from "./pulumiStack";

/** The field manager the component uses by default in an e2e stack. */
const manager = (stack: string) => `regcred/regcred-e2e/${stack}/regcred`;

/** What `kubectl create secret docker-registry` writes for the E2E login. */
const kubectlBytes = () => kubectlDockerConfig(sharedCluster(), E2E_LOGIN);

/** Sets a service account's list as `kubectl patch` does (an update, not an apply). */
function kubectlPatchList(namespace: string, names: string[], fieldManager?: string): void {
    const patch = JSON.stringify({ imagePullSecrets: names.map((name) => ({ name })) });
    kubectlOk(sharedCluster(), "patch", "serviceaccount", "default", "-n", namespace, "-p", patch, ...(fieldManager ? [`--field-manager=${fieldManager}`] : []));
}

describe("who owns imagePullSecrets, on a real API server", function () {
    it("a fresh namespace: the Secret holds kubectl's bytes, our entry is added and we own the list; destroy removes both", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "own-fresh");
        await withStack(cluster, "own-fresh", async (stack) => {
            await stack.up(credentials(["own-fresh"]));
            assert.equal(secretConfig(cluster, "own-fresh", "regcred"), kubectlBytes());
            assert.deepEqual(serviceAccountEntries(cluster, "own-fresh"), ["regcred"]);
            assert.deepEqual(managersOf(cluster, "own-fresh"), [manager("own-fresh")]);

            await stack.destroy();
            assert.equal(secretConfig(cluster, "own-fresh", "regcred"), undefined);
            assert.equal(serviceAccountEntries(cluster, "own-fresh"), undefined);
        });
    });

    it("a different list set by kubectl patch: up fails with a conflict naming before-first-apply, and their list stays", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "own-kpatch");
        kubectlPatchList("own-kpatch", ["theirs"]);
        await withStack(cluster, "own-kpatch", async (stack) => {
            const error = await stack.upFails(credentials(["own-kpatch"]));
            assert.match(error, /conflict with "before-first-apply"/);
            assert.match(error, /\.imagePullSecrets/);
            assert.deepEqual(serviceAccountEntries(cluster, "own-kpatch"), ["theirs"]);
            // The Secret is not the conflict: it is created before the patch that fails.
            assert.equal(secretConfig(cluster, "own-kpatch", "regcred"), kubectlBytes());
        });
    });

    it("the identical list set by kubectl patch: no conflict, and we co-own the list", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "own-same");
        kubectlPatchList("own-same", ["regcred"]);
        await withStack(cluster, "own-same", async (stack) => {
            await stack.up(credentials(["own-same"]));
            assert.deepEqual(serviceAccountEntries(cluster, "own-same"), ["regcred"]);
            assert.deepEqual(managersOf(cluster, "own-same"), ["before-first-apply", manager("own-same")].sort());

            // Destroy relinquishes our share: the co-owned list stays, naming a Secret that is gone.
            await stack.destroy();
            assert.deepEqual(serviceAccountEntries(cluster, "own-same"), ["regcred"]);
            assert.equal(secretConfig(cluster, "own-same", "regcred"), undefined);
        });
    });

    it("a list applied by another server-side-apply manager: up fails with a conflict naming it", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "own-ssa");
        serverSideApply(cluster, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: "own-ssa" }, imagePullSecrets: [{ name: "other" }] }, "other-tool");
        await withStack(cluster, "own-ssa", async (stack) => {
            const error = await stack.upFails(credentials(["own-ssa"]));
            assert.match(error, /conflict with "other-tool"/);
            assert.deepEqual(serviceAccountEntries(cluster, "own-ssa"), ["other"]);
        });
    });

    it("an OpenShift-like default-dockercfg entry: a conflict by default; kept and taken over with keepImagePullSecrets and takeOwnership", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "own-openshift");
        kubectlPatchList("own-openshift", ["default-dockercfg-x7k2p"], "openshift-controller-manager");
        await withStack(cluster, "own-openshift", async (stack) => {
            const error = await stack.upFails(credentials(["own-openshift"]));
            assert.match(error, /conflict with "before-first-apply"/);

            await stack.up(credentials([{ name: "own-openshift", keepImagePullSecrets: ["default-dockercfg-x7k2p"], takeOwnership: true }]));
            assert.deepEqual(serviceAccountEntries(cluster, "own-openshift"), ["regcred", "default-dockercfg-x7k2p"]);
            assert.deepEqual(managersOf(cluster, "own-openshift"), [manager("own-openshift")]);

            // We own the whole list alone now, so destroy removes it, their entry too.
            await stack.destroy();
            assert.equal(serviceAccountEntries(cluster, "own-openshift"), undefined);
        });
    });

    it("a namespace removed from the list: its Secret goes, and the list goes only where we owned it alone", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "own-keep");
        await createNamespace(cluster, "own-alone");
        await createNamespace(cluster, "own-shared");
        kubectlPatchList("own-shared", ["regcred"]);
        await withStack(cluster, "own-remove", async (stack) => {
            await stack.up(credentials(["own-keep", "own-alone", "own-shared"]));
            await stack.up(credentials(["own-keep"]));

            assert.deepEqual(serviceAccountEntries(cluster, "own-keep"), ["regcred"]);
            assert.equal(secretConfig(cluster, "own-alone", "regcred"), undefined);
            assert.equal(serviceAccountEntries(cluster, "own-alone"), undefined);
            // Co-owned with kubectl: the list stays, naming a Secret that no longer exists.
            assert.equal(secretConfig(cluster, "own-shared", "regcred"), undefined);
            assert.deepEqual(serviceAccountEntries(cluster, "own-shared"), ["regcred"]);
        });
    });
});
