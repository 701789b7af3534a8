/**
 * Upgrading from 0.1.0, which declared one ServiceAccountPatch per service
 * account and owned each `imagePullSecrets` list by server-side apply.
 * Deleting such a patch relinquishes the list, which the API server then
 * deletes whole, everyone's entries included. The state here is a real
 * 0.1.0 state: 0.1.0's own code, taken from git, runs the first `up`.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { kubectlOk } from "../../testcluster/kubectl";
import { createNamespace, getObject, imagePullSecretNames } from "./cluster";
import { sharedCluster } from "./hooks";
import { E2E_LOGIN, TestProgram, pulumi, withStack } from "./pulumiStack";
import type * as current from "../../components";

/** The last commit of 0.1.0: its components/ folder is what users have deployed. */
const RELEASE_0_1_0 = "5a34755c78884035d74df3138cda10b5bc48b841";
const ROOT = path.resolve(__dirname, "..", "..");

/** 0.1.0's components, from git, loaded beside this checkout's SDK. */
function release010(): typeof current {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "regcred-0.1.0-"));
    const archive = spawnSync("git", ["archive", RELEASE_0_1_0, "components"], { cwd: ROOT, maxBuffer: 64 << 20 });
    assert.equal(
        archive.status,
        0,
        `git archive ${RELEASE_0_1_0} (the e2e suite needs the repository's history): ${archive.stderr}`,
    );
    const untar = spawnSync("tar", ["-x", "-C", dir], { input: archive.stdout });
    assert.equal(untar.status, 0, String(untar.stderr));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    return require(path.join(dir, "components"));
}

describe("upgrading a stack from 0.1.0", function () {
    it("keeps every entry, ours and others', and then removes only ours on destroy", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "upg-alone");
        await createNamespace(cluster, "upg-shared");
        // Another writer's entry, which 0.1.0 could only keep by listing it and taking the list.
        kubectlOk(
            cluster,
            "patch",
            "serviceaccount",
            "default",
            "-n",
            "upg-shared",
            "-p",
            JSON.stringify({ imagePullSecrets: [{ name: "theirs" }] }),
        );
        const legacy = release010();
        const namespaces = ["upg-alone", { name: "upg-shared", keepImagePullSecrets: ["theirs"], takeOwnership: true }];
        const program =
            (Component: typeof current.RegistryCredentials): TestProgram =>
            (provider) => {
                new Component(
                    "regcred",
                    { registries: [{ ...E2E_LOGIN, password: pulumi.secret(E2E_LOGIN.password) }], namespaces },
                    { provider },
                );
            };

        await withStack(cluster, "upgrade", async (stack) => {
            await stack.up(program(legacy.RegistryCredentials));
            assert.deepEqual(imagePullSecretNames(cluster, "upg-alone"), ["regcred"]);
            assert.deepEqual(imagePullSecretNames(cluster, "upg-shared"), ["regcred", "theirs"]);
            const before = await stack.stack.exportStack();
            assert.equal(
                before.deployment.resources.filter((r: any) => r.type === "kubernetes:core/v1:ServiceAccountPatch")
                    .length,
                2,
            );
            const secretBefore = getObject(cluster, "secret", "upg-alone", "regcred");

            const { RegistryCredentials } = await import("../../components");
            await stack.up(program(RegistryCredentials));
            assert.deepEqual(imagePullSecretNames(cluster, "upg-alone"), ["regcred"]);
            assert.deepEqual(imagePullSecretNames(cluster, "upg-shared"), ["regcred", "theirs"]);
            const after = await stack.stack.exportStack();
            assert.equal(
                after.deployment.resources.filter((r: any) => r.type === "kubernetes:core/v1:ServiceAccountPatch")
                    .length,
                0,
            );
            assert.match(stack.output, /takeOwnership is deprecated and ignored/);
            // The Secrets gain their deletion annotation in place: the same object, not a replacement.
            const secretAfter = getObject(cluster, "secret", "upg-alone", "regcred");
            assert.equal(secretAfter.metadata.uid, secretBefore.metadata.uid);
            assert.equal(secretAfter.metadata.annotations?.["pulumi.com/deletionPropagationPolicy"], "background");
            // And their field manager becomes the component's own, which a lost state does not change:
            // the provider's made-up one (pulumi-kubernetes-<hex>) is relinquished in the same update.
            const managers = (object: any) =>
                object.metadata.managedFields.map((record: { manager: string }) => record.manager);
            assert.ok(
                managers(secretBefore).every((manager: string) => /^pulumi-kubernetes-[0-9a-f]+$/.test(manager)),
                managers(secretBefore).join(),
            );
            assert.deepEqual(managers(secretAfter), ["regcred/regcred-e2e/upgrade/regcred"]);

            // Entries 0.1.0 wrote are ours: destroy removes them, and only them.
            await stack.destroy();
            assert.deepEqual(imagePullSecretNames(cluster, "upg-alone") ?? [], []);
            assert.deepEqual(imagePullSecretNames(cluster, "upg-shared"), ["theirs"]);
        });
    });
});
