/**
 * One bad namespace holds back no other: a rollout to 21 namespaces with
 * four broken ones in the middle (one being deleted, one missing, one whose
 * Secret an admission policy refuses, one whose service account is
 * misspelt), and one to 20 namespaces of which the deployer may not write
 * one. Every other namespace ends the same `up` with its Secret and its
 * entry, read back from the API server; the `up` fails naming each broken
 * one once; and once the causes are fixed the next `up` converges.
 */
import { strict as assert } from "assert";
import { createNamespace, imagePullSecretNames, release, secretConfig, terminatingNamespace } from "./cluster";
import { sharedCluster } from "./hooks";
import { TestStack, credentials, withStack } from "./pulumiStack";
import { allowSecrets, refuseSecretIn, untilRefused } from "./policies";
import { applyReadmeRbac } from "./rbac";

const names = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(2, "0")}`);

/** The component's closing summary in what the CLI printed (which the error repeats). */
function summaryOf(output: string): string {
    const match = /error: On context [^\n]*not rolled out[\s\S]*?Fix these and run `pulumi up` again/.exec(output);
    assert.ok(match, `no summary in:\n${output}`);
    return match[0];
}

/** Each failed namespace named on exactly one line of the summary, with its reason. */
function assertNamedOnce(output: string, namespace: string, reason: RegExp): void {
    const summary = summaryOf(output);
    const lines = summary
        .split("\n")
        .filter((line) => line.trimStart().startsWith("- ") && new RegExp(`\\b${namespace}\\b`).test(line));
    assert.equal(lines.length, 1, `${namespace} is on ${lines.length} summary lines:\n${summary}`);
    assert.match(lines[0], reason);
}

describe("one bad namespace holds back no other, on a real API server", function () {
    it("21 namespaces, 4 broken in the middle: the other 17 get their Secret and entry in the same up, and the next up converges", async function () {
        const cluster = sharedCluster();
        const all = names("iso", 21);
        const [terminating, missing, refused, misspelt] = [all[8], all[9], all[10], all[11]];
        const good = all.filter((namespace) => ![terminating, missing, refused, misspelt].includes(namespace));
        await Promise.all([...good, refused, misspelt].map((namespace) => createNamespace(cluster, namespace)));
        await terminatingNamespace(cluster, terminating);
        const policy = refuseSecretIn(cluster, refused);
        await untilRefused(cluster, refused);
        const program = (namespaces: string[]) =>
            credentials(
                namespaces.map((name) => (name === misspelt ? { name, serviceAccounts: ["defualt"] } : name)),
                { serviceAccountWaitSeconds: 3 },
            );

        try {
            await withStack(cluster, "isolation", async (stack: TestStack) => {
                // Preview names the namespaces it can see are broken, before anything is written. The
                // refused Secret's dry-run fails it, naming the refusal (pulumi preview cannot go on past it).
                const preview = await stack.previewOutput(program(all));
                assert.match(preview.output, new RegExp(`${terminating}: the namespace is being deleted`));
                assert.match(preview.output, new RegExp(`${missing}: the namespace does not exist`));
                assert.ok(preview.failed);
                assert.match(preview.output, /pull secrets are managed by the platform team's vault here/);

                const error = await stack.upFails(program(all));
                for (const namespace of good) {
                    assert.ok(
                        secretConfig(cluster, namespace, "regcred")?.includes('"e2e-user"'),
                        `${namespace} has no Secret`,
                    );
                    assert.deepEqual(imagePullSecretNames(cluster, namespace), ["regcred"], namespace);
                }
                // No service account names a Secret that is not there.
                assert.equal(secretConfig(cluster, refused, "regcred"), undefined);
                assert.equal(imagePullSecretNames(cluster, refused), undefined);
                assert.equal(secretConfig(cluster, terminating, "regcred"), undefined);
                // The misspelt account's namespace has its Secret; the account that exists is not touched.
                assert.ok(secretConfig(cluster, misspelt, "regcred") !== undefined);
                assert.equal(imagePullSecretNames(cluster, misspelt), undefined);

                assert.match(error, /4 namespaces of 21 are not rolled out; the other 17 are/);
                assertNamedOnce(error, terminating, /being deleted/);
                assertNamedOnce(error, missing, /does not exist/);
                assertNamedOnce(error, refused, /its Secret could not be written/);
                assertNamedOnce(
                    error,
                    misspelt,
                    /service account iso-11\/defualt does not exist \(waited 3 s\); did you mean "default"\? .*the namespace's Secret is in place/,
                );
                // The refusal itself, from the API server, is in the output too.
                assert.match(error, /pull secrets are managed by the platform team's vault here/);

                // The causes fixed: the namespace's deletion finishes and it leaves the list, the missing
                // one is created, the policy goes, the misspelt account is corrected. No manual step.
                release(cluster, terminating);
                await createNamespace(cluster, missing);
                await allowSecrets(cluster, policy, refused);
                const fixed = all.filter((namespace) => namespace !== terminating);
                await stack.up(credentials(fixed, { serviceAccountWaitSeconds: 3 }));
                for (const namespace of fixed) {
                    assert.ok(secretConfig(cluster, namespace, "regcred") !== undefined, `${namespace} has no Secret`);
                    assert.deepEqual(imagePullSecretNames(cluster, namespace), ["regcred"], namespace);
                }
            });
        } finally {
            release(cluster, terminating);
            await allowSecrets(cluster, policy, refused);
        }
    });

    it("20 namespaces as the least-privilege deployer, one of them not granted: the other 19 are rolled out", async function () {
        const cluster = sharedCluster();
        const all = names("iso-rbac", 20);
        const denied = all[10];
        await Promise.all(all.map((namespace) => createNamespace(cluster, namespace)));
        for (const namespace of all.filter((candidate) => candidate !== denied)) {
            applyReadmeRbac(cluster, namespace, "regcred-deployer");
        }
        await withStack(cluster, "isolation-rbac", async (stack) => {
            // The deployer may not list namespaces: preview says once that it did not check them, and goes on.
            const preview = await stack.previewOutput(credentials(all), { as: "deployer" });
            assert.equal(
                preview.output.match(/the namespaces were not checked before writing/g)?.length,
                1,
                preview.output,
            );

            const error = await stack.upFails(credentials(all), { as: "deployer" });
            for (const namespace of all.filter((candidate) => candidate !== denied)) {
                assert.deepEqual(imagePullSecretNames(cluster, namespace), ["regcred"], namespace);
            }
            assert.equal(secretConfig(cluster, denied, "regcred"), undefined);
            assert.equal(imagePullSecretNames(cluster, denied), undefined);
            assert.match(error, /1 namespace of 20 is not rolled out; the other 19 are/);
            assertNamedOnce(error, denied, /its Secret could not be written/);
            assert.match(
                error,
                /User "regcred-deployer" cannot patch resource "secrets" in API group "" in the namespace "iso-rbac-10"/,
            );

            // Granted, the next up converges.
            applyReadmeRbac(cluster, denied, "regcred-deployer");
            await stack.up(credentials(all), { as: "deployer" });
            assert.deepEqual(imagePullSecretNames(cluster, denied), ["regcred"]);
        });
    });
});
