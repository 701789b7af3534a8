/**
 * The entries resource's provider against the fake API server: one service
 * account or namespace that fails holds back no other, a held namespace is
 * not touched, and the state says what is in place so the next `up` retries
 * exactly what failed.
 */
import { strict as assert } from "assert";
import { entriesProvider } from "../components/entriesResource";
import { FakeApiServer } from "./fakeApiServer";

const provider = entriesProvider as Required<typeof entriesProvider>;

describe("the service-account entries resource", function () {
    let api: FakeApiServer;
    let connection: { server: string };
    const base = { fieldManager: "regcred/p/s/c", waitSeconds: 0, held: [] as string[] };

    beforeEach(async () => {
        api = new FakeApiServer();
        connection = { server: await api.start() };
    });
    afterEach(() => api.stop());

    const inputs = (entries: Record<string, string>, held: string[] = []) => ({ ...base, connection, entries, held });

    it("writes every account that exists, records the one that does not, and retries only that one", async () => {
        api.put("a", "default");
        api.put("c", "default");
        const news = (
            await provider.check({}, inputs({ "a/default": "regcred", "b/default": "regcred", "c/default": "regcred" }))
        ).inputs as any;
        const { outs } = await provider.create(news);
        assert.deepEqual(api.entries("a", "default"), ["regcred"]);
        assert.deepEqual(api.entries("c", "default"), ["regcred"]);
        assert.deepEqual(Object.keys(outs.entries), ["a/default", "c/default"]);
        assert.deepEqual(Object.keys(outs.failures), ["b/default"]);
        assert.match(outs.failures["b/default"], /service account b\/default does not exist/);

        // The next up: the same inputs differ from what is in place, and only b is written.
        assert.equal((await provider.diff("entries", outs, news)).changes, true);
        api.put("b", "default");
        const patchesBefore = api.requests.filter((request) => request.method === "PATCH").length;
        const { outs: next } = await provider.update("entries", outs, news);
        assert.deepEqual(next.failures, {});
        assert.deepEqual(api.entries("b", "default"), ["regcred"]);
        assert.equal(api.requests.filter((request) => request.method === "PATCH").length - patchesBefore, 1);
        assert.equal((await provider.diff("entries", next, news)).changes, false);
    });

    it("leaves a held namespace exactly as it was: nothing added there, nothing of ours removed", async () => {
        api.put("a", "default", ["regcred"]);
        api.put("b", "default");
        const olds = { ...inputs({ "a/default": "regcred" }), owned: ["a/default/regcred"], failures: {} };
        // Namespace a's Secret did not land this time, and b is new; a is also renamed away in the program.
        const news = (await provider.check(olds, inputs({ "b/default": "regcred" }, ["a"]))).inputs as any;
        assert.deepEqual(
            news.entries,
            { "a/default": "regcred", "b/default": "regcred" },
            "the held namespace keeps the entry it had",
        );
        const { outs } = await provider.update("entries", olds, news);
        assert.deepEqual(api.entries("a", "default"), ["regcred"]);
        assert.deepEqual(api.entries("b", "default"), ["regcred"]);
        assert.deepEqual(outs.owned, ["a/default/regcred", "b/default/regcred"]);
        assert.deepEqual(outs.failures, {});
    });

    it("keeps a renamed Secret's old entry when the new one cannot be added, so the account still names a Secret", async () => {
        api.put("a", "default", ["regcred"]);
        const olds = { ...inputs({ "a/default": "regcred" }), owned: ["a/default/regcred"], failures: {} };
        const news = (await provider.check(olds, inputs({ "a/default": "regcred-v2" }))).inputs as any;
        // Every add races with a writer that rewrites the list: the add fails after its attempts.
        api.beforePatch = (account) => void account!.imagePullSecrets!.push({ name: "racer" });
        const { outs } = await provider.update("entries", olds, news);
        assert.ok(api.entries("a", "default")!.includes("regcred"), JSON.stringify(api.entries("a", "default")));
        assert.ok(!api.entries("a", "default")!.includes("regcred-v2"));
        assert.deepEqual(outs.owned, ["a/default/regcred"]);
        assert.match(outs.failures["a/default"], /could not add regcred-v2 in a\/default's imagePullSecrets/);
    });

    it("needs no connection when there is nothing to write, and records the reason for each account when there is", async () => {
        const unusable = { unusable: 'the kubeconfig has no context named "prod"' };
        const olds = {
            ...inputs({ "a/default": "regcred" }),
            connection: unusable,
            owned: ["a/default/regcred"],
            failures: {},
        };
        const same = await provider.update("entries", olds, { ...olds, failures: undefined } as any);
        assert.deepEqual(same.outs.failures, {});
        const more = await provider.update("entries", olds, {
            ...inputs({ "a/default": "regcred", "b/default": "regcred" }),
            connection: unusable,
        } as any);
        assert.deepEqual(more.outs.failures, {
            "b/default": 'cannot reach the service accounts: the kubeconfig has no context named "prod"',
        });
        assert.deepEqual(Object.keys(more.outs.entries), ["a/default"]);
    });
});
