/**
 * Who may deploy, and what a user sees when a rollout cannot land: the
 * README's least-privilege role, a namespace that does not exist, one the
 * deployer may not write, and a cluster that does not answer.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { Cluster, freePorts } from "../../testcluster/controlPlane";
import { kubectl } from "../../testcluster/kubectl";
import { createNamespace, getObject, imagePullSecretNames, secretConfig } from "./cluster";
import { sharedCluster } from "./hooks";
import { credentials, withStack } from "./pulumiStack";
import { apply, readmeRbac } from "./rbac";

describe("access and failures, on a real API server", function () {
    it("the README's least-privilege role lets the deployer roll out, rotate and destroy", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "rbac-ok");
        apply(cluster, readmeRbac("rbac-ok", "regcred-deployer"));
        // The deployer itself can do no more than the role says.
        assert.notEqual(kubectl(cluster, ["get", "configmaps", "-n", "rbac-ok"], { as: "deployer" }).status, 0);

        await withStack(cluster, "rbac-ok", async (stack) => {
            await stack.up(credentials(["rbac-ok"]), { as: "deployer" });
            assert.deepEqual(imagePullSecretNames(cluster, "rbac-ok"), ["regcred"]);
            const uid = getObject(cluster, "secret", "rbac-ok", "regcred").metadata.uid;

            await stack.up(credentials(["rbac-ok"], { password: "rotated-token" }), { as: "deployer" });
            assert.equal(getObject(cluster, "secret", "rbac-ok", "regcred").metadata.uid, uid);
            assert.match(secretConfig(cluster, "rbac-ok", "regcred") ?? "", /"password":"rotated-token"/);

            await stack.destroy();
            assert.equal(secretConfig(cluster, "rbac-ok", "regcred"), undefined);
            assert.equal(imagePullSecretNames(cluster, "rbac-ok"), undefined);
        });
    });

    // list and watch on secrets are left out here: without them, destroy deletes
    // the Secret and then waits in the provider for over 20 minutes (docs/security.md, "RBAC").
    for (const [resource, verb] of [
        ["secrets", "get"],
        ["secrets", "create"],
        ["secrets", "patch"],
        ["secrets", "delete"],
        ["serviceaccounts", "get"],
        ["serviceaccounts", "patch"],
    ]) {
        it(`the role is no larger than needed: without ${verb} on ${resource}, up, a rotation, refresh or destroy is refused`, async function () {
            const cluster = sharedCluster();
            const namespace = `rbac-no-${resource}-${verb}`;
            await createNamespace(cluster, namespace);
            const role = YAML.parseAllDocuments(readmeRbac(namespace, "regcred-deployer")).map((document) =>
                document.toJS(),
            );
            for (const rule of role[0].rules) {
                rule.verbs = rule.resources.includes(resource)
                    ? rule.verbs.filter((candidate: string) => candidate !== verb)
                    : rule.verbs;
            }
            role[0].metadata.name =
                role[1].metadata.name =
                role[1].roleRef.name =
                    `regcred-deployer-without-${resource}-${verb}`;
            apply(cluster, role.map((document) => YAML.stringify(document)).join("---\n"));

            await withStack(cluster, namespace, async (stack) => {
                // Each step runs only until the refusal shows: a destroy without a verb it
                // needs can wait in the provider's delete check instead of failing.
                const expected = `User "regcred-deployer" cannot ${verb} resource "${resource}"`;
                const errors: string[] = [];
                const steps = [
                    () => stack.up(credentials([namespace]), { as: "deployer" }),
                    () => stack.up(credentials([namespace], { password: "rotated-token" }), { as: "deployer" }),
                    () => stack.refresh(),
                    () => stack.destroy(),
                ];
                for (const step of steps) {
                    if (errors.some((error) => error.includes(expected))) {
                        break;
                    }
                    await step().catch((error: Error) => void errors.push(error.message));
                }
                assert.ok(
                    errors.some((error) => error.includes(expected)),
                    `every step succeeded without ${verb} on ${resource}, or failed for another reason:\n${errors.join("\n")}`,
                );
                // The whole role again, so that the stack can be destroyed.
                apply(cluster, readmeRbac(namespace, "regcred-deployer"));
            });
        });
    }

    it("a namespace the deployer may not write: up fails with Forbidden, naming the user and the namespace", async function () {
        const cluster = sharedCluster();
        await createNamespace(cluster, "rbac-granted");
        await createNamespace(cluster, "rbac-denied");
        apply(cluster, readmeRbac("rbac-granted", "regcred-deployer"));
        await withStack(cluster, "rbac-denied", async (stack) => {
            const error = await stack.upFails(credentials(["rbac-granted", "rbac-denied"]), { as: "deployer" });
            assert.match(
                error,
                /secrets "regcred" is forbidden: User "regcred-deployer" cannot patch resource "secrets" in API group "" in the namespace "rbac-denied"/,
            );
            assert.equal(secretConfig(cluster, "rbac-denied", "regcred"), undefined);
        });
    });

    it("a namespace that does not exist: preview warns naming it, and up fails naming it after about a minute of retries", async function () {
        const cluster = sharedCluster();
        await withStack(cluster, "no-namespace", async (stack) => {
            // The stack, the provider, the component, the Secret and the patch.
            const preview = await stack.preview(credentials(["does-not-exist"]));
            assert.match(preview, /\+ 5 to create/);
            assert.match(
                preview,
                /warning: On context "[^"]+" \(https:\/\/127\.0\.0\.1:\d+\): 1 namespace of 1 cannot be rolled out[^\n]*\n\s+- does-not-exist: the namespace does not exist/,
            );

            const started = Date.now();
            const error = await stack.upFails(credentials(["does-not-exist"]));
            const seconds = (Date.now() - started) / 1000;
            assert.match(
                error,
                /regcred\/does-not-exist" was not successfully created by the Kubernetes API server: namespaces "does-not-exist" not found/,
            );
            assert.ok(seconds > 30 && seconds < 180, `the provider retried for ${seconds} s`);
        });
    });

    it("a cluster that does not answer: preview warns that it cannot be reached, and up fails saying the cluster is unreachable", async function () {
        const cluster = sharedCluster();
        // A loopback port nothing listens on: the kernel hands out a free one.
        const [port] = await freePorts(1);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "regcred-dead-"));
        const kubeconfig = path.join(dir, "kubeconfig");
        fs.writeFileSync(
            kubeconfig,
            fs.readFileSync(cluster.kubeconfig, "utf8").replace(cluster.server, `https://127.0.0.1:${port}`),
        );
        const dead: Cluster = { ...cluster, name: "dead", kubeconfig };
        try {
            await withStack(dead, "dead-cluster", async (stack) => {
                const preview = await stack.preview(credentials(["default"]));
                assert.match(preview, /\+ 5 to create/);
                assert.match(
                    preview,
                    new RegExp(
                        `- default: the cluster cannot be reached: cannot reach the Kubernetes API at https://127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`,
                    ),
                );
                const error = await stack.upFails(credentials(["default"]));
                assert.ok(
                    error.includes(
                        `configured Kubernetes cluster is unreachable: unable to load schema information from the API server: ` +
                            `Get "https://127.0.0.1:${port}/openapi/v2?timeout=32s": dial tcp 127.0.0.1:${port}: connect: connection refused`,
                    ),
                    error,
                );
            });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
