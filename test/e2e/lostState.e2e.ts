/**
 * A stack whose state is lost (a laptop's `.pulumi/`, a CI runner without
 * persisted state, a stack recreated on a new backend) and whose password
 * changed meanwhile: the same project, stack and component names on an
 * empty backend. Everything the component writes has a field manager derived
 * from those names, so the next `up` applies as the same manager, takes its
 * Secrets back without a conflict, recognises its entries, and a destroy
 * then removes ours and only ours.
 */
import { strict as assert } from "assert";
import { kubectlOk } from "../../testcluster/kubectl";
import { createNamespace, getObject, imagePullSecretNames, secretConfig } from "./cluster";
import { sharedCluster } from "./hooks";
import { TestStack, credentials, withStack } from "./pulumiStack";

describe("recovery after a lost state", function () {
    it("an up on an empty backend after a rotation converges with no apply conflict, and destroy removes only ours", async function () {
        const cluster = sharedCluster();
        const namespaces = ["lost-alone", "lost-shared"];
        for (const namespace of namespaces) {
            await createNamespace(cluster, namespace);
        }
        kubectlOk(
            cluster,
            "patch",
            "serviceaccount",
            "default",
            "-n",
            "lost-shared",
            "-p",
            JSON.stringify({ imagePullSecrets: [{ name: "theirs" }] }),
        );

        const first = await TestStack.create(cluster, "lost-state");
        await first.up(credentials(namespaces));
        const uid = getObject(cluster, "secret", "lost-alone", "regcred").metadata.uid;
        assert.deepEqual(
            getObject(cluster, "secret", "lost-alone", "regcred").metadata.managedFields.map(
                (record: { manager: string }) => record.manager,
            ),
            ["regcred/regcred-e2e/lost-state/regcred"],
        );
        // The state is gone; the cluster keeps everything.
        await first.stack.workspace.removeStack("lost-state", { force: true });

        await withStack(cluster, "lost-state", async (stack) => {
            await stack.up(credentials(namespaces, { password: "rotated-while-lost" }));
            for (const namespace of namespaces) {
                assert.match(
                    secretConfig(cluster, namespace, "regcred") ?? "",
                    /"password":"rotated-while-lost"/,
                    namespace,
                );
            }
            assert.equal(
                getObject(cluster, "secret", "lost-alone", "regcred").metadata.uid,
                uid,
                "taken back, not replaced",
            );
            assert.deepEqual(imagePullSecretNames(cluster, "lost-alone"), ["regcred"]);
            assert.deepEqual(imagePullSecretNames(cluster, "lost-shared"), ["theirs", "regcred"]);

            await stack.destroy();
            for (const namespace of namespaces) {
                assert.equal(secretConfig(cluster, namespace, "regcred"), undefined, namespace);
            }
            assert.deepEqual(
                imagePullSecretNames(cluster, "lost-alone") ?? [],
                [],
                "our entry, recognised by its field manager, is removed",
            );
            assert.deepEqual(imagePullSecretNames(cluster, "lost-shared"), ["theirs"]);
        });
    });
});
