/**
 * Namespaces chosen by label, on a real API server: a namespace labelled
 * between two `up`s is picked up (and shows in the preview first), one
 * relabelled out is cleaned up, one being deleted is skipped, a list that
 * fails fails the run and removes nothing, the removal guard stops a mass
 * removal, and the README's one extra grant is enough for the non-admin
 * deployer.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Cluster, apiGet, freePorts } from "../../testcluster/controlPlane";
import { kubectl } from "../../testcluster/kubectl";
import {
    createNamespace,
    imagePullSecretNames,
    labelNamespace,
    release,
    secretConfig,
    terminatingNamespace,
} from "./cluster";
import { sharedCluster } from "./hooks";
import { credentials, withStack } from "./pulumiStack";
import { apply, applyReadmeRbac, readmeSelectorRbac } from "./rbac";

/** Namespaces labelled for one test alone, so that no other test's namespaces match. */
async function labelled(cluster: Cluster, label: string, names: readonly string[]): Promise<void> {
    await Promise.all(names.map((name) => createNamespace(cluster, name)));
    for (const name of names) {
        labelNamespace(cluster, name, `e2e-selectors=${label}`);
    }
}

/** The API server's count of cluster-wide LISTs of namespaces so far (`apiserver_request_total`). */
async function namespaceLists(cluster: Cluster): Promise<number> {
    const { status, body } = await apiGet(cluster, "/metrics", 60_000);
    assert.equal(status, 200, "GET /metrics");
    return body
        .split("\n")
        .filter((line) => /^apiserver_request_total\{.*resource="namespaces".*verb="LIST"/.test(line))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

const selecting = (label: string) => [{ matchLabels: { "e2e-selectors": label } }];

/** Whether the namespace has our Secret and our entry in its default service account. */
function rolledOut(cluster: Cluster, namespace: string): boolean {
    return (
        secretConfig(cluster, namespace, "regcred") !== undefined &&
        (imagePullSecretNames(cluster, namespace) ?? []).includes("regcred")
    );
}

describe("namespaces chosen by label, on a real API server", function () {
    it("a namespace labelled between two ups is picked up, shown in the preview first; one relabelled out is cleaned up; one being deleted is skipped", async function () {
        const cluster = sharedCluster();
        await labelled(cluster, "pickup", ["sel-a", "sel-b"]);
        await terminatingNamespace(cluster, "sel-leaving", "e2e-selectors=pickup");
        const program = credentials([], { namespaceSelectors: selecting("pickup") });
        try {
            await withStack(cluster, "selectors-pickup", async (stack) => {
                await stack.up(program);
                assert.ok(rolledOut(cluster, "sel-a") && rolledOut(cluster, "sel-b"));
                assert.equal(secretConfig(cluster, "sel-leaving", "regcred"), undefined);
                assert.match(
                    stack.output,
                    /namespace sel-leaving matches the selectors but is being deleted \(since [^)]+\): skipped/,
                );

                // A new team namespace, labelled: the preview shows its Secret to be created, then up writes it.
                // Resolving the selector costs the preview one LIST of namespaces, the one the check already made.
                await labelled(cluster, "pickup", ["sel-c"]);
                const listsBefore = await namespaceLists(cluster);
                const preview = await stack.preview(program);
                assert.equal(
                    (await namespaceLists(cluster)) - listsBefore,
                    1,
                    "LISTs of namespaces during the preview",
                );
                assert.match(preview, /\+ 1 to create/);
                assert.match(preview, /\+ sel-c\/default: "regcred"/);
                await stack.up(program);
                assert.ok(rolledOut(cluster, "sel-c"), "sel-c was not picked up");

                // Relabelled out: its Secret and entry go, the others stay.
                labelNamespace(cluster, "sel-a", "e2e-selectors-");
                const removal = await stack.preview(program);
                assert.match(removal, /- 1 to delete/);
                assert.match(removal, /- sel-a\/default: "regcred"/);
                await stack.up(program);
                assert.equal(secretConfig(cluster, "sel-a", "regcred"), undefined);
                assert.deepEqual(imagePullSecretNames(cluster, "sel-a") ?? [], []);
                assert.ok(rolledOut(cluster, "sel-b") && rolledOut(cluster, "sel-c"));
            });
        } finally {
            release(cluster, "sel-leaving");
        }
    });

    it("a list that fails fails the preview and the up, and removes nothing: forbidden, and an API that cannot be reached", async function () {
        const cluster = sharedCluster();
        const names = ["sel-list-a", "sel-list-b"];
        await labelled(cluster, "list", names);
        for (const name of names) {
            applyReadmeRbac(cluster, name, "regcred-deployer");
        }
        const program = credentials([], { namespaceSelectors: selecting("list") });
        await withStack(cluster, "selectors-list", async (stack) => {
            await stack.up(program);
            assert.ok(names.every((name) => rolledOut(cluster, name)));

            // The deployer may write both namespaces but not list namespaces: the run fails, naming why.
            const error = await stack.upFails(program, { as: "deployer" });
            assert.match(
                error,
                /namespaceSelectors \("e2e-selectors=list"\) could not be resolved, because could not list namespaces \(HTTP 403\)[^\n]*cannot list resource "namespaces"[^\n]*Nothing was added or removed/,
            );
            assert.ok(
                names.every((name) => rolledOut(cluster, name)),
                `a failed list removed a namespace's Secret or entry:\n${error}`,
            );

            // An API server that does not answer: the preview fails naming it, and plans no deletion.
            const [port] = await freePorts(1);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "regcred-dead-"));
            try {
                const dead = path.join(dir, "kubeconfig");
                fs.writeFileSync(
                    dead,
                    fs.readFileSync(cluster.kubeconfig, "utf8").replace(cluster.server, `https://127.0.0.1:${port}`),
                );
                const preview = await stack.previewOutput(program, { kubeconfig: dead });
                assert.ok(preview.failed, preview.output);
                assert.match(
                    preview.output,
                    new RegExp(
                        `could not be resolved, because the cluster cannot be reached: cannot reach the Kubernetes API at https://127\\.0\\.0\\.1:${port}`,
                    ),
                );
                assert.doesNotMatch(preview.output, /to delete/);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
            // Back on the cluster as the admin, nothing to do but switch the provider's context back:
            // the state still holds both namespaces' Secrets and entries.
            const again = await stack.preview(program);
            assert.doesNotMatch(again, /to (create|delete)/);
            assert.match(again, /~ 1 to update/);
            assert.match(again, /~ context: "[^"]*-deployer" => "[^"]*"/);
            assert.ok(names.every((name) => rolledOut(cluster, name)));
        });
    });

    it("removing more than maxRemovedShare at once fails and removes nothing, until the update says it means it", async function () {
        const cluster = sharedCluster();
        const names = ["sel-guard-0", "sel-guard-1", "sel-guard-2", "sel-guard-3", "sel-guard-4"];
        await labelled(cluster, "guard", names);
        const program = (maxRemovedShare?: number) =>
            credentials([], { namespaceSelectors: selecting("guard"), maxRemovedShare });
        await withStack(cluster, "selectors-guard", async (stack) => {
            await stack.up(program());
            assert.ok(names.every((name) => rolledOut(cluster, name)));

            // A label migration gone wrong: three of five (60%) stop matching.
            for (const name of names.slice(0, 3)) {
                labelNamespace(cluster, name, "e2e-selectors=guard-v2");
            }
            const preview = await stack.previewOutput(program());
            assert.ok(preview.failed, preview.output);
            assert.match(
                preview.output,
                /would remove the pull Secret from 3 of the 5 namespaces it is in \(60%; sel-guard-0, sel-guard-1, sel-guard-2\), more than maxRemovedShare allows \(25%\)/,
            );
            const error = await stack.upFails(program());
            assert.match(error, /more than maxRemovedShare allows/);
            assert.ok(
                names.every((name) => rolledOut(cluster, name)),
                "the refused update removed a Secret or an entry",
            );

            // Meant: one update with maxRemovedShare: 1 removes them.
            await stack.up(program(1));
            for (const name of names.slice(0, 3)) {
                assert.equal(secretConfig(cluster, name, "regcred"), undefined, name);
            }
            assert.ok(names.slice(3).every((name) => rolledOut(cluster, name)));
        });
    });

    it("selectors that match nothing fail the up and remove nothing, unless an empty set is allowed", async function () {
        const cluster = sharedCluster();
        await labelled(cluster, "empty", ["sel-empty"]);
        const program = (allowEmptySelection?: boolean) =>
            credentials([], { namespaceSelectors: selecting("empty"), allowEmptySelection });
        await withStack(cluster, "selectors-empty", async (stack) => {
            await stack.up(program());
            assert.ok(rolledOut(cluster, "sel-empty"));

            // Its label gone, the selector matches nothing: an error, and its Secret and entry stay.
            labelNamespace(cluster, "sel-empty", "e2e-selectors-");
            const error = await stack.upFails(program());
            assert.match(
                error,
                /namespaceSelectors match no namespace \("e2e-selectors=empty"; system namespaces are never selected\)/,
            );
            assert.ok(rolledOut(cluster, "sel-empty"), "an empty match removed the Secret or the entry");

            // Allowed, the empty set is the set: the namespace's Secret and entry go.
            await stack.up(program(true));
            assert.equal(secretConfig(cluster, "sel-empty", "regcred"), undefined);
            assert.deepEqual(imagePullSecretNames(cluster, "sel-empty") ?? [], []);
        });
    });

    it("the README's grants let the non-admin deployer roll out to selected namespaces, and pick up a new one", async function () {
        const cluster = sharedCluster();
        const names = ["sel-rbac-a", "sel-rbac-b"];
        await labelled(cluster, "rbac", names);
        for (const name of names) {
            applyReadmeRbac(cluster, name, "regcred-deployer");
        }
        apply(cluster, readmeSelectorRbac("regcred-deployer"));
        // The grant is list alone: the deployer can still read no namespace object, nor list anything else.
        assert.notEqual(kubectl(cluster, ["get", "namespace", "default"], { as: "deployer" }).status, 0);
        const program = credentials([], { namespaceSelectors: selecting("rbac") });
        try {
            await withStack(cluster, "selectors-rbac", async (stack) => {
                await stack.up(program, { as: "deployer" });
                assert.ok(names.every((name) => rolledOut(cluster, name)));
                await labelled(cluster, "rbac", ["sel-rbac-c"]);
                applyReadmeRbac(cluster, "sel-rbac-c", "regcred-deployer");
                await stack.up(program, { as: "deployer" });
                assert.ok(rolledOut(cluster, "sel-rbac-c"));
            });
        } finally {
            kubectl(cluster, [
                "delete",
                "clusterrolebinding,clusterrole",
                "regcred-namespace-reader",
                "--ignore-not-found",
            ]);
        }
    });
});
