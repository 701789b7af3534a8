/**
 * Logins that expire within hours get a warning naming the node-level
 * answer; long-lived logins to the same registries do not.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { loadComponents, registered } from "./mocks";
import { shortLivedWarnings } from "../components/shortLivedTokens";
import { waitFor } from "../testcluster/waitFor";

const ZERO_GUID = "00000000-0000-0000-0000-000000000000";

describe("short-lived registry tokens", () => {
    const cases: [string, string, RegExp | undefined][] = [
        ["123456789012.dkr.ecr.eu-west-1.amazonaws.com", "AWS", /Amazon ECR, whose tokens last 12 hours.*On EKS/],
        ["https://123456789012.dkr.ecr.us-east-1.amazonaws.com", "AWS", /Amazon ECR/],
        [
            "europe-docker.pkg.dev",
            "oauth2accesstoken",
            /an OAuth access token lasts one hour.*roles\/artifactregistry\.reader/,
        ],
        ["eu.gcr.io", "oauth2accesstoken", /Google Artifact Registry or Container Registry/],
        ["europe-docker.pkg.dev", "_json_key", undefined],
        ["gcr.io", "_json_key_base64", undefined],
        ["acme.azurecr.io", ZERO_GUID, /az acr login --expose-token.*3 hours.*--attach-acr/],
        ["acme.azurecr.io", "acme-pull-token", undefined],
        ["ghcr.io", "bot", undefined],
        ["notecr.example.com", "AWS", undefined],
    ];
    for (const [server, username, expected] of cases) {
        it(`${server} as ${username}: ${expected === undefined ? "no warning" : "a warning"}`, () => {
            const warnings = shortLivedWarnings([{ server, username }]);
            if (expected === undefined) {
                assert.deepEqual(warnings, []);
            } else {
                assert.equal(warnings.length, 1);
                assert.match(warnings[0], expected);
                assert.match(warnings[0], /External Secrets generator/);
            }
        });
    }

    it("the component warns once per short-lived login, from registries and from a docker config, never showing the password", async () => {
        const lib = await loadComponents();
        const warnings: string[] = [];
        const relevant = () => warnings.filter((w) => /ECR|Azure/.test(w));
        const warn = pulumi.log.warn;
        pulumi.log.warn = async (message: string) => void warnings.push(message);
        try {
            const ecr = {
                server: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
                username: "AWS",
                password: "ecr-t0ken",
            };
            await registered(() => [
                new lib.RegistryCredentials("ecr", {
                    registries: [ecr, { server: "ghcr.io", username: "b", password: "p" }],
                    namespaces: ["a"],
                }),
            ]);
            const config = JSON.stringify({
                auths: { "acme.azurecr.io": { auth: Buffer.from(`${ZERO_GUID}:acr-t0ken`).toString("base64") } },
            });
            await registered(() => [
                new lib.RegistryCredentials("acr", { dockerConfigJson: config, namespaces: ["a"] }),
            ]);
            // The warnings come once the logins are known, a moment after the registrations.
            await waitFor(() => relevant().length >= 2, {
                awaited: "two short-lived token warnings",
                timeoutMs: 10_000,
                intervalMs: 20,
                lastSeen: () => warnings.join("\n"),
            });
        } finally {
            pulumi.log.warn = warn;
        }
        assert.equal(relevant().length, 2, relevant().join("\n"));
        assert.ok(!warnings.join("\n").includes("t0ken"));
    });
});
