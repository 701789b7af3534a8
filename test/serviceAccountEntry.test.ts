/**
 * The entry writer against a fake API server that keeps service accounts in
 * memory and applies JSON Patches as the real one does (test ops checked
 * atomically, 422 when one fails). The real API server's behaviour is in
 * test/e2e/ownership.e2e.ts; this is where races and limits are made to
 * happen on purpose.
 */
import { strict as assert } from "assert";
import { addEntry, removeEntry } from "../components/serviceAccountEntry";
import { FakeApiServer } from "./fakeApiServer";

describe("the service-account entry writer", function () {
    let api: FakeApiServer;
    let connection: { server: string };
    const settings = { fieldManager: "regcred/p/s/c", waitSeconds: 0 };
    const target = { namespace: "team-a", serviceAccount: "default", secretName: "regcred" };

    beforeEach(async () => {
        api = new FakeApiServer();
        connection = { server: await api.start() };
    });
    afterEach(() => api.stop());

    it("appends our entry after the others, pinning the list it read", async () => {
        api.put("team-a", "default", ["theirs"]);
        assert.equal(await addEntry(connection, target, settings), "added");
        assert.deepEqual(api.entries("team-a", "default"), ["theirs", "regcred"]);
        const patch = api.requests.find((r) => r.method === "PATCH")!.body;
        assert.deepEqual(patch[0], { op: "test", path: "/imagePullSecrets", value: [{ name: "theirs" }] });
    });

    it("creates the list when there is none, pinning the resourceVersion instead", async () => {
        api.put("team-a", "default");
        assert.equal(await addEntry(connection, target, settings), "added");
        assert.deepEqual(api.entries("team-a", "default"), ["regcred"]);
        assert.equal(api.requests.find((r) => r.method === "PATCH")!.body[0].path, "/metadata/resourceVersion");
    });

    it("a writer that changes the list in between loses nothing: the patch is refused and retried on what is there now", async () => {
        api.put("team-a", "default", ["theirs"]);
        let raced = 0;
        api.beforePatch = (account) => {
            if (raced++ < 2) account!.imagePullSecrets!.push({ name: `racer-${raced}` });
        };
        assert.equal(await addEntry(connection, target, settings), "added");
        assert.deepEqual(api.entries("team-a", "default"), ["theirs", "racer-1", "racer-2", "regcred"]);
        assert.equal(api.requests.filter((r) => r.method === "PATCH").length, 3);
    });

    it("gives up after a bounded number of attempts, naming the account", async () => {
        api.put("team-a", "default", ["theirs"]);
        api.beforePatch = (account) => void account!.imagePullSecrets!.push({ name: "racer" });
        await assert.rejects(
            addEntry(connection, target, settings),
            /could not add regcred in team-a\/default's imagePullSecrets: the list changed under every one of 8 attempts/,
        );
    });

    it("writes nothing when someone else's entry of that name is there, and calls it theirs", async () => {
        api.put(
            "team-a",
            "default",
            ["regcred"],
            [{ manager: "kubectl-patch", operation: "Update", fieldsV1: { "f:imagePullSecrets": {} } }],
        );
        assert.equal(await addEntry(connection, target, settings), "theirs");
        assert.equal(api.requests.filter((r) => r.method === "PATCH").length, 0);
    });

    it("claims an entry that 0.1.0 applied, relabelling its Apply record as an Update so deleting the old patch keeps the list", async () => {
        const records = [
            { manager: "regcred/p/s/c", operation: "Apply", fieldsV1: { "f:imagePullSecrets": {} } },
            { manager: "someone", operation: "Update", fieldsV1: { "f:metadata": {} } },
        ];
        api.put("team-a", "default", ["regcred", "theirs"], records);
        assert.equal(await addEntry(connection, target, settings), "ours");
        assert.deepEqual(api.entries("team-a", "default"), ["regcred", "theirs"]);
        assert.deepEqual(
            api.accounts.get("team-a/default")!.metadata.managedFields!.map((r) => [r.manager, r.operation]),
            [
                ["regcred/p/s/c", "Update"],
                ["someone", "Update"],
            ],
        );
    });

    it("waits for a missing service account, then fails naming it, and never creates one", async () => {
        const started = Date.now();
        await assert.rejects(
            addEntry(connection, { ...target, serviceAccount: "defualt" }, { ...settings, waitSeconds: 1 }),
            /service account team-a\/defualt does not exist \(waited 1 s\)\. This component never creates service accounts/,
        );
        assert.ok(Date.now() - started >= 1000);
        assert.deepEqual([...new Set(api.requests.map((r) => r.method))], ["GET"]);
    });

    it("removes exactly our entry, pinning it at its index, and leaves the others in order", async () => {
        api.put("team-a", "default", ["a", "regcred", "b"]);
        assert.equal(await removeEntry(connection, target, settings.fieldManager), true);
        assert.deepEqual(api.entries("team-a", "default"), ["a", "b"]);
        assert.deepEqual(api.requests.find((r) => r.method === "PATCH")!.body[0], {
            op: "test",
            path: "/imagePullSecrets/1",
            value: { name: "regcred" },
        });
    });

    it("removing finds the entry again when another writer moved it", async () => {
        api.put("team-a", "default", ["a", "regcred"]);
        let raced = false;
        api.beforePatch = (account) => {
            if (!raced) account!.imagePullSecrets!.unshift({ name: "first" });
            raced = true;
        };
        assert.equal(await removeEntry(connection, target, settings.fieldManager), true);
        assert.deepEqual(api.entries("team-a", "default"), ["first", "a"]);
    });

    it("has nothing to remove when the entry or the account is gone", async () => {
        api.put("team-a", "default", ["theirs"]);
        assert.equal(await removeEntry(connection, target, settings.fieldManager), false);
        assert.equal(await removeEntry(connection, { ...target, namespace: "gone" }, settings.fieldManager), false);
        assert.deepEqual(api.entries("team-a", "default"), ["theirs"]);
    });
});
