/**
 * Reading the provider's kubeconfig for the service-account writer: the
 * same context, cluster and user the Kubernetes provider would use.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { connectionFor } from "../components/kubeconfig";
import { KUBECONFIG_FIXTURE } from "./mocks";

describe("the writer's cluster connection", () => {
    it("follows the named context to its cluster and user", () => {
        assert.deepEqual(connectionFor({ kubeconfig: KUBECONFIG_FIXTURE, context: "cluster-a" }), {
            server: "https://cluster-a.example.com:6443",
            certificateAuthorityData: "Y2EtYQ==",
            token: "token-of-cluster-a",
        });
    });

    it("takes the current context when none is named, and reads file references relative to the kubeconfig", () => {
        assert.deepEqual(connectionFor({ kubeconfig: KUBECONFIG_FIXTURE }), {
            server: "https://cluster-b.example.com:6443",
            certificateAuthorityData: Buffer.from("ca-b").toString("base64"),
            tlsServerName: "api.cluster-b.internal",
            clientCertificateData: "Y2VydC1i",
            clientKeyData: "a2V5LWI=",
        });
    });

    it("takes the kubeconfig's contents as the provider does, and a cluster override", () => {
        const contents = fs.readFileSync(KUBECONFIG_FIXTURE, "utf8");
        assert.equal(connectionFor({ kubeconfig: contents, context: "cluster-a" }).token, "token-of-cluster-a");
        const connection = connectionFor({
            kubeconfig: KUBECONFIG_FIXTURE,
            context: "cluster-a",
            cluster: "cluster-b",
        });
        assert.equal(connection.server, "https://cluster-b.example.com:6443");
        assert.equal(connection.token, "token-of-cluster-a");
    });

    it("merges the files KUBECONFIG lists, the first to name something winning, as kubectl does", () => {
        const other = path.join(__dirname, "fixtures", "kubeconfig-other.yaml");
        fs.writeFileSync(
            other,
            "current-context: cluster-a\ncontexts: [{ name: cluster-a, context: { cluster: cluster-b, user: user-a } }]\n",
        );
        try {
            const connection = connectionFor({ kubeconfig: [other, KUBECONFIG_FIXTURE].join(path.delimiter) });
            assert.equal(connection.server, "https://cluster-b.example.com:6443");
            assert.equal(connection.token, "token-of-cluster-a");
        } finally {
            fs.rmSync(other);
        }
    });

    it("keeps an exec credential plugin as data, for the writer to run", () => {
        assert.deepEqual(connectionFor({ kubeconfig: KUBECONFIG_FIXTURE, context: "exec" }).exec, {
            apiVersion: "client.authentication.k8s.io/v1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", "demo"],
            env: [{ name: "AWS_PROFILE", value: "demo" }],
        });
    });

    it("says what is missing or unsupported, without any credential", () => {
        assert.throws(
            () => connectionFor({ kubeconfig: KUBECONFIG_FIXTURE, context: "nope" }),
            /the kubeconfig has no context named "nope"/,
        );
        assert.throws(
            () => connectionFor({ kubeconfig: KUBECONFIG_FIXTURE, context: "cluster-a", cluster: "nope" }),
            /no cluster named "nope"/,
        );
        assert.throws(
            () => connectionFor({ kubeconfig: KUBECONFIG_FIXTURE, context: "legacy" }),
            /auth-provider.*use the exec credential plugin/,
        );
        assert.throws(
            () => connectionFor({ kubeconfig: "/nonexistent/kubeconfig" }),
            /no kubeconfig could be read from \/nonexistent\/kubeconfig/,
        );
        try {
            connectionFor({ kubeconfig: KUBECONFIG_FIXTURE, context: "nope" });
        } catch (error) {
            assert.ok(!String(error).includes("token-of-cluster-a"));
        }
    });
});
