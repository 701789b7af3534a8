/**
 * The question the component asks a cluster before it writes anything,
 * against the fake API server: which listed namespaces cannot take a
 * Secret, whether the cluster answers, and what a deployer that may not
 * list namespaces gets.
 */
import { strict as assert } from "assert";
import { checkCluster } from "../components/clusterCheck";
import { FakeApiServer } from "./fakeApiServer";

describe("the cluster check", function () {
    let api: FakeApiServer;
    let connection: { server: string };

    beforeEach(async () => {
        api = new FakeApiServer();
        connection = { server: await api.start() };
    });
    afterEach(() => api.stop());

    it("names each listed namespace that does not exist or is being deleted, reading every page of the list", async () => {
        api.namespaces = Array.from({ length: 1200 }, (_, i) => ({ metadata: { name: `team-${i}` } }));
        api.namespaces[700].metadata.deletionTimestamp = "2026-12-04T10:00:00Z";
        const check = await checkCluster(connection, ["team-3", "team-700", "team-1199", "gone"]);
        assert.deepEqual(check, {
            badNamespaces: {
                "team-700":
                    "the namespace is being deleted (since 2026-12-04T10:00:00Z), and the API server refuses new objects in it",
                gone: "the namespace does not exist",
            },
        });
        assert.deepEqual(
            api.requests.map((request) => request.path),
            [
                "/api/v1/namespaces?limit=500",
                "/api/v1/namespaces?limit=500&continue=500",
                "/api/v1/namespaces?limit=500&continue=1000",
            ],
        );
    });

    it("goes on unchecked, saying why, when the deployer may not list namespaces", async () => {
        api.namespaceListStatus = 403;
        const check = await checkCluster(connection, ["team-a"]);
        assert.deepEqual(check.badNamespaces, {});
        assert.equal(check.unreachable, undefined);
        assert.match(check.unchecked ?? "", /^could not list namespaces \(HTTP 403\): namespaces is forbidden/);
    });

    it("calls a cluster that refuses the credentials, or does not answer, or cannot be named, unreachable", async () => {
        api.namespaceListStatus = 401;
        assert.match(
            (await checkCluster(connection, ["team-a"])).unreachable ?? "",
            /refuses the kubeconfig's credentials \(HTTP 401\)/,
        );
        // Port 1 on loopback: nothing listens there.
        assert.match(
            (await checkCluster({ server: "http://127.0.0.1:1" }, ["team-a"])).unreachable ?? "",
            /cannot reach the Kubernetes API at http:\/\/127\.0\.0\.1:1: connect ECONNREFUSED/,
        );
        assert.deepEqual(await checkCluster({ unusable: 'the kubeconfig has no context named "local"' }, ["team-a"]), {
            unreachable: 'the kubeconfig has no context named "local"',
            badNamespaces: {},
        });
    });
});
