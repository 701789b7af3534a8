/**
 * "Who owns imagePullSecrets" (docs/design.md), row by row, on a real API server:
 * arrange a service account with kubectl, run the real `pulumi up`, and read
 * back the list, its managers and what the user sees. The component adds
 * and removes its own entry, `{ name: regcred }`, and nothing else.
 */
import { strict as assert } from "assert";
import { kubectlAsync, kubectlOk, serverSideApply } from "../../testcluster/kubectl";
import {
    createNamespace,
    getObject,
    imagePullSecretNames,
    kubectlDockerConfig,
    managersOf,
    secretConfig,
    serviceAccountExists,
    serviceAccountWithEntries,
    watchEntries,
} from "./cluster";
import { sharedCluster } from "./hooks";
import { E2E_LOGIN, credentials, withStack } from "./pulumiStack";

/** The field manager the component records by default in an e2e stack. */
const manager = (stack: string) => `regcred/regcred-e2e/${stack}/regcred`;

/** What `kubectl create secret docker-registry` writes for the E2E login. */
const kubectlBytes = () => kubectlDockerConfig(sharedCluster(), E2E_LOGIN);

/** Sets a service account's list as `kubectl patch` does (an update, not an apply). */
function kubectlPatchList(namespace: string, names: string[], fieldManager?: string): void {
    const patch = JSON.stringify({ imagePullSecrets: names.map((name) => ({ name })) });
    kubectlOk(
        sharedCluster(),
        "patch",
        "serviceaccount",
        "default",
        "-n",
        namespace,
        "-p",
        patch,
        ...(fieldManager ? [`--field-manager=${fieldManager}`] : []),
    );
}

describe("who owns imagePullSecrets, on a real API server", function () {
    it("a fresh namespace: the Secret holds kubectl's bytes and our entry is added; destroy removes both", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "own-fresh");
        await withStack(cluster, "own-fresh", async (stack) => {
            await stack.up(credentials(["own-fresh"]));
            assert.equal(secretConfig(cluster, "own-fresh", "regcred"), kubectlBytes());
            assert.deepEqual(imagePullSecretNames(cluster, "own-fresh"), ["regcred"]);

            await stack.destroy();
            assert.equal(secretConfig(cluster, "own-fresh", "regcred"), undefined);
            assert.deepEqual(imagePullSecretNames(cluster, "own-fresh") ?? [], []);
        });
    });

    it("a kubectl patch writer's entry: ours is appended after it, and destroy leaves theirs", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "own-kpatch");
        kubectlPatchList("own-kpatch", ["theirs"]);
        await withStack(cluster, "own-kpatch", async (stack) => {
            await stack.up(credentials(["own-kpatch"]));
            assert.deepEqual(imagePullSecretNames(cluster, "own-kpatch"), ["theirs", "regcred"]);

            await stack.destroy();
            assert.deepEqual(imagePullSecretNames(cluster, "own-kpatch"), ["theirs"]);
        });
    });

    it("our entry already put there by someone else: nothing is written, and destroy leaves it", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "own-same");
        kubectlPatchList("own-same", ["regcred", "theirs"]);
        const before = getObject(cluster, "serviceaccount", "own-same", "default").metadata.resourceVersion;
        await withStack(cluster, "own-same", async (stack) => {
            await stack.up(credentials(["own-same"]));
            assert.equal(getObject(cluster, "serviceaccount", "own-same", "default").metadata.resourceVersion, before);

            await stack.destroy();
            assert.deepEqual(imagePullSecretNames(cluster, "own-same"), ["regcred", "theirs"]);
        });
    });

    it("another server-side-apply manager's list: no conflict, ours is appended, destroy leaves theirs", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "own-ssa");
        serverSideApply(cluster, serviceAccountWithEntries("own-ssa", ["other"]), "other-tool");
        await withStack(cluster, "own-ssa", async (stack) => {
            await stack.up(credentials(["own-ssa"]));
            assert.deepEqual(imagePullSecretNames(cluster, "own-ssa"), ["other", "regcred"]);
            // Any write to an atomic list takes it over in managedFields (as kubectl patch does): theirs is now a conflict with us, not a silent loss.
            assert.deepEqual(managersOf(cluster, "own-ssa"), [manager("own-ssa")]);

            await stack.destroy();
            assert.deepEqual(imagePullSecretNames(cluster, "own-ssa"), ["other"]);
        });
    });

    it("an OpenShift-like writer that force-applies its entry: both coexist; a re-apply that drops ours is drift, found by refresh and repaired by up", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "own-openshift");
        const openshift = () =>
            serverSideApply(
                cluster,
                serviceAccountWithEntries("own-openshift", ["default-dockercfg-x7k2p"]),
                "openshift-controller-manager",
                { force: true },
            );
        openshift();
        await withStack(cluster, "own-openshift", async (stack) => {
            await stack.up(credentials(["own-openshift"]));
            assert.deepEqual(imagePullSecretNames(cluster, "own-openshift"), ["default-dockercfg-x7k2p", "regcred"]);

            // The atomic list is theirs to set whole again: our entry goes.
            openshift();
            assert.deepEqual(imagePullSecretNames(cluster, "own-openshift"), ["default-dockercfg-x7k2p"]);
            await stack.refresh();
            const preview = await stack.preview(credentials(["own-openshift"]));
            assert.match(preview, /\+ own-openshift\/default: "regcred"/);
            await stack.up(credentials(["own-openshift"]));
            assert.deepEqual(imagePullSecretNames(cluster, "own-openshift"), ["default-dockercfg-x7k2p", "regcred"]);

            await stack.destroy();
            assert.deepEqual(imagePullSecretNames(cluster, "own-openshift"), ["default-dockercfg-x7k2p"]);
        });
    });

    it("a namespace removed from the list: exactly our entry goes, then its Secret", async function () {
        const cluster = sharedCluster();
        for (const namespace of ["own-keep", "own-drop"]) {
            await createNamespace(cluster, namespace);
            kubectlPatchList(namespace, ["theirs"]);
        }
        await withStack(cluster, "own-remove", async (stack) => {
            await stack.up(credentials(["own-keep", "own-drop"]));
            const preview = await stack.preview(credentials(["own-keep"]));
            assert.match(preview, /- own-drop\/default: "regcred"/);
            await stack.up(credentials(["own-keep"]));

            assert.deepEqual(imagePullSecretNames(cluster, "own-keep"), ["theirs", "regcred"]);
            assert.deepEqual(imagePullSecretNames(cluster, "own-drop"), ["theirs"]);
            assert.equal(secretConfig(cluster, "own-drop", "regcred"), undefined);
        });
    });

    it("a secretName change adds the new entry before removing the old, so the account always names one", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "own-rename");
        kubectlPatchList("own-rename", ["theirs"]);
        await withStack(cluster, "own-rename", async (stack) => {
            await stack.up(credentials(["own-rename"]));
            assert.deepEqual(imagePullSecretNames(cluster, "own-rename"), ["theirs", "regcred"], stack.output);
            const watch = await watchEntries(cluster, ["theirs", "regcred"], "own-rename");
            await stack.up(credentials(["own-rename"], { secretName: "regcred-v2" }));
            const seen = await watch.stop();

            assert.deepEqual(imagePullSecretNames(cluster, "own-rename"), ["theirs", "regcred-v2"]);
            assert.ok(
                seen.some((names) => names.includes("regcred") && names.includes("regcred-v2")),
                `never both: ${JSON.stringify(seen)}`,
            );
            assert.ok(
                seen.every((names) => names.includes("regcred") || names.includes("regcred-v2")),
                `a moment with neither: ${JSON.stringify(seen)}`,
            );
            assert.ok(
                seen.every((names) => names[0] === "theirs"),
                `their entry moved: ${JSON.stringify(seen)}`,
            );
        });
    });

    it("a writer that changes the list while up runs loses nothing, and neither do we", async function () {
        const cluster = sharedCluster();
        const namespaces = Array.from({ length: 12 }, (_, i) => `own-race-${i}`);
        for (const namespace of namespaces) {
            await createNamespace(cluster, namespace);
            kubectlPatchList(namespace, ["writer-0"]);
        }
        await withStack(cluster, "own-race", async (stack) => {
            // Appends writer-1, writer-2, … to every account, one JSON Patch at a time, for as long as the up runs.
            let writing = true;
            const writer = (async () => {
                for (let round = 1; writing; round++) {
                    for (const namespace of namespaces) {
                        const patch = JSON.stringify([
                            { op: "add", path: "/imagePullSecrets/-", value: { name: `writer-${round}` } },
                        ]);
                        await kubectlAsync(cluster, [
                            "patch",
                            "serviceaccount",
                            "default",
                            "-n",
                            namespace,
                            "--type=json",
                            "-p",
                            patch,
                        ]);
                    }
                }
            })();
            await stack.up(credentials(namespaces));
            writing = false;
            await writer;

            // Each writer's patch succeeded, so a lost entry would leave a gap in its sequence.
            for (const namespace of namespaces) {
                const entries = imagePullSecretNames(cluster, namespace) ?? [];
                const theirs = entries.filter((name) => name !== "regcred");
                assert.deepEqual(
                    theirs,
                    theirs.map((_, i) => `writer-${i}`),
                    namespace,
                );
                assert.ok(theirs.length > 2, `the writer did not run during the up in ${namespace}`);
                assert.equal(entries.filter((name) => name === "regcred").length, 1, namespace);
            }
        });
    });

    it("a misspelt service account fails naming it and the one meant, no service account is created, and the other account gets its entry", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "own-typo");
        await withStack(cluster, "own-typo", async (stack) => {
            const error = await stack.upFails(
                credentials([{ name: "own-typo", serviceAccounts: ["default", "defualt"] }], {
                    serviceAccountWaitSeconds: 3,
                }),
            );
            assert.match(
                error,
                /service account own-typo\/defualt does not exist \(waited 3 s\); did you mean "default"\?/,
            );
            assert.match(error, /never creates service accounts/);
            assert.match(error, /the namespace's Secret is in place/);
            assert.equal(serviceAccountExists(cluster, "own-typo", "defualt"), false);
            assert.deepEqual(
                imagePullSecretNames(cluster, "own-typo"),
                ["regcred"],
                "the account that exists is held back by no other",
            );
        });
    });

    it("a service account that appears while up waits for it gets our entry", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "own-late");
        await withStack(cluster, "own-late", async (stack) => {
            setTimeout(() => kubectlOk(cluster, "create", "serviceaccount", "builder", "-n", "own-late"), 4000);
            await stack.up(
                credentials([{ name: "own-late", serviceAccounts: ["builder"] }], { serviceAccountWaitSeconds: 60 }),
            );
            assert.deepEqual(imagePullSecretNames(cluster, "own-late", "builder"), ["regcred"]);
        });
    });
});
