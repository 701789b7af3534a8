/**
 * The pull proof: credentials that went through the component, the API
 * server and the kubelet's own lookup code pull a manifest from a real
 * registry (distribution, on loopback, with htpasswd auth and TLS), for every
 * way of writing the server the component accepts. Keys the kubelet never
 * matches leave it with no credentials, and the component refuses them
 * first. And verifyLogins, against the same registry, fails a preview on a
 * wrong password and passes a good one.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import { RegistryCredentials, RegistryCredentialsArgs } from "../../components";
import { kubeletKey } from "../../components/registryKey";
import { validateArgs } from "../../components";
import { closedPort } from "../fakeRegistry";
import { createNamespace, deleteNamespace, getObject } from "./cluster";
import { sharedCluster } from "./hooks";
import { TestProgram, pulumi, withStack } from "./pulumiStack";
import {
    LocalRegistry,
    acceptedSpellings,
    kubeletLookup,
    neverMatchedSpellings,
    pullManifest,
    pushImage,
    startRegistry,
    writePullSecret,
} from "./registry";

const LOGIN = { username: "puller", password: "pull-s3cret-token" };
const WRONG_PASSWORD = "expired-token-0000";

describe("credentials that went through the component pull from a real registry", function () {
    let registry: LocalRegistry;
    let image: string;
    let digest: string;
    const namespaces: string[] = [];

    before(async function () {
        // The helper's first build on a cold machine: a few minutes.
        this.timeout(30 * 60 * 1000);
        registry = await startRegistry(LOGIN);
        image = `${registry.address}/team/app:1`;
        digest = pushImage(registry, image);
    });

    after(() => {
        registry?.stop();
        namespaces.forEach((namespace) => deleteNamespace(sharedCluster(), namespace));
    });

    async function namespace(name: string): Promise<string> {
        await createNamespace(sharedCluster(), name);
        namespaces.push(name);
        return name;
    }

    it("pulls the manifest with what the kubelet finds in the Secret, for each spelling of the server the component accepts", async () => {
        const cluster = sharedCluster();
        const servers = acceptedSpellings(registry.address);
        const targets = await Promise.all(servers.map((_, i) => namespace(`pull-${i}`)));
        await withStack(cluster, "pull-proof", async (stack) => {
            await stack.up((provider) => {
                servers.forEach((server, i) => {
                    const registries = [{ server, username: LOGIN.username, password: pulumi.secret(LOGIN.password) }];
                    new RegistryCredentials(
                        `pull-${i}`,
                        { registries, namespaces: [targets[i]], serviceAccounts: [] },
                        { provider },
                    );
                });
            });
            servers.forEach((server, i) => {
                const secret = getObject(cluster, "secret", targets[i], `pull-${i}`);
                assert.ok(secret, `no Secret for ${server}`);
                const lookup = kubeletLookup(secret, image);
                assert.ok(
                    lookup.found,
                    `the kubelet finds no credentials for ${image} in the Secret for ${JSON.stringify(server)}`,
                );
                const pulled = pullManifest(registry, image, lookup.logins[0]);
                assert.deepEqual(pulled, { digest }, `pulling with the Secret for ${JSON.stringify(server)}`);
            });
        });
    });

    it("without credentials the same pull is refused: the proof needs the login", () => {
        const pulled = pullManifest(registry, image, null);
        assert.ok("error" in pulled && /UNAUTHORIZED|401/.test(pulled.error), JSON.stringify(pulled));
    });

    it("a key the kubelet never matches leaves it with no credentials, and the component refuses that key first", async () => {
        const cluster = sharedCluster();
        const target = await namespace("pull-never");
        for (const [i, server] of neverMatchedSpellings(registry.address).entries()) {
            // Our validation, before anything exists.
            const problems = validateArgs("regcred", { registries: [{ server, ...LOGIN }], namespaces: [target] });
            assert.deepEqual(
                problems.map((p) => p.propertyPath),
                ["registries[0].server"],
                `${JSON.stringify(server)} is accepted`,
            );
            assert.ok("problem" in kubeletKey(server));

            // The same bytes written without the component (as kubectl or another tool would), read back as the kubelet gets them.
            const name = `never-${i}`;
            writePullSecret(cluster, target, name, { server, ...LOGIN });
            const lookup = kubeletLookup(getObject(cluster, "secret", target, name), image);
            assert.deepEqual(
                lookup,
                { found: false, logins: [] },
                `the kubelet uses the key ${JSON.stringify(server)} for ${image}`,
            );
        }
    });

    describe("verifyLogins", () => {
        const verified =
            (
                target: string,
                password: string,
                verifyLogins: RegistryCredentialsArgs["verifyLogins"],
                server = registry.address,
            ): TestProgram =>
            (provider) => {
                new RegistryCredentials(
                    "verified",
                    {
                        registries: [{ server, username: LOGIN.username, password: pulumi.secret(password) }],
                        namespaces: [target],
                        serviceAccounts: [],
                        verifyLogins,
                    },
                    { provider },
                );
            };
        const previewFails = async (run: () => Promise<unknown>): Promise<string> => {
            try {
                await run();
            } catch (error) {
                return String((error as Error).message);
            }
            return assert.fail("the preview passed");
        };

        it("fails a preview on a wrong password, naming the server and HTTP 401, and passes a good one; up writes no Secret until the login works", async () => {
            const cluster = sharedCluster();
            const target = await namespace("pull-verify");
            const ca = fs.readFileSync(registry.caFile, "utf8");
            await withStack(cluster, "verify-logins", async (stack) => {
                const failed = await previewFails(() =>
                    stack.preview(verified(target, WRONG_PASSWORD, { ca, repository: "team/app" })),
                );
                assert.match(
                    failed,
                    new RegExp(
                        `"${registry.address}": GET https://${registry.address}/v2/team/app/tags/list with the login answered HTTP 401 Unauthorized`,
                    ),
                );
                assert.ok(!failed.includes(WRONG_PASSWORD), "the password is shown");

                await stack.preview(verified(target, LOGIN.password, { ca, repository: "team/app" }));

                const upFailed = await stack.upFails(verified(target, WRONG_PASSWORD, { ca }));
                assert.match(upFailed, /HTTP 401 Unauthorized/);
                assert.equal(
                    getObject(cluster, "secret", target, "verified"),
                    undefined,
                    "a Secret was written with a login that fails",
                );

                await stack.up(verified(target, LOGIN.password, { ca }));
                const lookup = kubeletLookup(getObject(cluster, "secret", target, "verified"), image);
                assert.deepEqual(pullManifest(registry, image, lookup.logins[0]), { digest });
            });
        });

        it("fails a preview on a registry it cannot reach, or only warns with unreachable: warn", async () => {
            const cluster = sharedCluster();
            const target = await namespace("pull-unreachable");
            const server = `127.0.0.1:${await closedPort()}`;
            await withStack(cluster, "verify-unreachable", async (stack) => {
                const failed = await previewFails(() => stack.preview(verified(target, LOGIN.password, true, server)));
                assert.match(failed, new RegExp(`"${server}": cannot reach https://${server} \\(ECONNREFUSED\\)`));

                const warnings: string[] = [];
                await stack.preview(verified(target, LOGIN.password, { unreachable: "warn" }, server), {}, (event) => {
                    if (event.diagnosticEvent?.severity === "warning") warnings.push(event.diagnosticEvent.message);
                });
                assert.match(
                    warnings.join("\n"),
                    /could not be checked \(verifyLogins\.unreachable is "warn"\): "127\.0\.0\.1:\d+": cannot reach/,
                );
            });
        });
    });
});
