import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { loadComponents, valueOf } from "./mocks";
import { FakeRegistry, closedPort, startFakeRegistry } from "./fakeRegistry";
import { checkLogin, parseChallenge, registryBase } from "../components/verifyLogins";
import { validateArgs, verifyLoginsProblems } from "../components/validateArgs";

const USER = "robot-user";
const PASSWORD = "correct-horse-battery";
const WRONG = "wrong-password-1234";

/** A reason must never show what was sent. */
function assertNoCredentials(text: string) {
    for (const secret of [USER, PASSWORD, WRONG, Buffer.from(`${USER}:${WRONG}`).toString("base64")]) {
        assert.ok(!text.includes(secret), `${JSON.stringify(secret)} appears in: ${text}`);
    }
}

describe("verifyLogins", () => {
    let registry: FakeRegistry | undefined;
    afterEach(async () => {
        await registry?.close();
        registry = undefined;
    });

    describe("against a registry with Basic auth", () => {
        beforeEach(async () => {
            registry = await startFakeRegistry({
                scheme: "basic",
                username: USER,
                password: PASSWORD,
                repository: "team/app",
            });
        });

        it("passes a good login after learning the challenge at /v2/", async () => {
            assert.deepEqual(await checkLogin({ server: registry!.server, username: USER, password: PASSWORD }), {
                ok: true,
            });
            assert.deepEqual(
                registry!.requests.map((r) => [r.url, r.authorization !== undefined]),
                [
                    ["/v2/", false],
                    ["/v2/", true],
                ],
            );
        });

        it("refuses a wrong password, naming the server and HTTP 401 but not the login", async () => {
            const result = await checkLogin({ server: registry!.server, username: USER, password: WRONG });
            assert.ok(!result.ok && !result.unreachable, JSON.stringify(result));
            assert.match(
                result.reason,
                new RegExp(`GET ${registry!.server}/v2/ with the login answered HTTP 401 Unauthorized`),
            );
            assertNoCredentials(result.reason);
        });

        it("with a repository, refuses a login that may not pull from it (HTTP 403)", async () => {
            const result = await checkLogin(
                { server: registry!.server, username: USER, password: PASSWORD },
                "team/other",
            );
            assert.ok(!result.ok);
            assert.match(
                result.reason,
                /tags\/list with the login answered HTTP 403 Forbidden: the login may not pull from team\/other/,
            );
            assert.deepEqual(
                await checkLogin({ server: registry!.server, username: USER, password: PASSWORD }, "team/app"),
                { ok: true },
            );
        });
    });

    describe("against a registry with Bearer tokens", () => {
        beforeEach(async () => {
            registry = await startFakeRegistry({
                scheme: "bearer",
                username: USER,
                password: PASSWORD,
                repository: "team/app",
            });
        });

        it("trades a good login for a token with the repository's pull scope, then reads the tags with it", async () => {
            assert.deepEqual(
                await checkLogin({ server: registry!.server, username: USER, password: PASSWORD }, "team/app"),
                { ok: true },
            );
            const [probe, token, tags] = registry!.requests;
            assert.equal(probe.authorization, undefined);
            const tokenUrl = new URL(token.url, "http://x");
            assert.equal(tokenUrl.pathname, "/token");
            assert.equal(tokenUrl.searchParams.get("service"), "fake-registry");
            assert.equal(tokenUrl.searchParams.get("scope"), "repository:team/app:pull");
            assert.ok(token.authorization?.startsWith("Basic "));
            assert.deepEqual([tags.url, tags.authorization], ["/v2/team/app/tags/list", "Bearer token-with-access"]);
        });

        it("refuses a wrong password at the token service, naming it and HTTP 401", async () => {
            const result = await checkLogin({ server: registry!.server, username: USER, password: WRONG }, "team/app");
            assert.ok(!result.ok && !result.unreachable);
            assert.equal(
                result.reason,
                `the token service ${registry!.server}/token refused the login with HTTP 401 Unauthorized`,
            );
            assertNoCredentials(result.reason);
        });

        it("refuses a login whose token does not reach the repository", async () => {
            const result = await checkLogin(
                { server: registry!.server, username: USER, password: PASSWORD },
                "team/other",
            );
            assert.ok(!result.ok);
            assert.equal(
                result.reason,
                `GET ${registry!.server}/v2/team/other/tags/list with the token answered HTTP 401 Unauthorized: the token the login got does not allow pulling from team/other`,
            );
        });
    });

    it("calls a host that does not answer unreachable, with the error code", async () => {
        const result = await checkLogin({
            server: `http://127.0.0.1:${await closedPort()}`,
            username: USER,
            password: PASSWORD,
        });
        assert.ok(!result.ok && result.unreachable);
        assert.match(result.reason, /^cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    });

    it("refuses something that answers /v2/ as no registry does", async () => {
        registry = await startFakeRegistry({ scheme: "basic", username: USER, password: PASSWORD, probeStatus: 404 });
        const result = await checkLogin({ server: registry.server, username: USER, password: PASSWORD });
        assert.ok(!result.ok && !result.unreachable);
        assert.match(
            result.reason,
            /answered HTTP 404 Not Found, where a registry answers 200 or 401; is this the registry's address\?/,
        );
    });

    it("talks to the host the kubelet files a server under, over https unless it says http://", () => {
        assert.equal(registryBase("ghcr.io"), "https://ghcr.io");
        assert.equal(registryBase("https://ghcr.io/v2/"), "https://ghcr.io");
        assert.equal(registryBase("ghcr.io/acme"), "https://ghcr.io");
        assert.equal(registryBase("http://127.0.0.1:5000/"), "http://127.0.0.1:5000");
        assert.equal(registryBase("https://index.docker.io/v1/"), "https://registry-1.docker.io");
    });

    it("reads a Bearer challenge's quoted parameters", () => {
        assert.deepEqual(
            parseChallenge(
                `Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull"`,
            ),
            {
                scheme: "bearer",
                params: {
                    realm: "https://auth.example.com/token",
                    service: "registry.example.com",
                    scope: "repository:a/b:pull",
                },
            },
        );
        assert.deepEqual(parseChallenge(`Basic realm="x"`), { scheme: "basic", params: { realm: "x" } });
    });

    describe("the setting", () => {
        it("takes true, false, or repository, unreachable and ca", () => {
            for (const good of [
                undefined,
                true,
                false,
                {},
                { repository: "team/app", unreachable: "warn" },
                { repository: { "ghcr.io": "acme/app" } },
            ]) {
                assert.deepEqual(verifyLoginsProblems(good), [], JSON.stringify(good));
            }
        });

        it("refuses a misspelt option, a repository with a host or tag, and an unknown unreachable mode, by path", () => {
            const paths = verifyLoginsProblems({
                repo: "x",
                repository: "ghcr.io/Team/app:1",
                unreachable: "ignore",
                ca: "not pem",
            }).map((p) => p.propertyPath);
            assert.deepEqual(paths, [
                "verifyLogins.repo",
                "verifyLogins.repository",
                "verifyLogins.unreachable",
                "verifyLogins.ca",
            ]);
            assert.match(
                verifyLoginsProblems("yes")[0].reason,
                /must be true, false or \{ repository\?, unreachable\?, ca\? \}, not "yes"/,
            );
        });

        it("is a setting of the component, checked with the other arguments", () => {
            const base = {
                registries: [{ server: "ghcr.io", username: USER, password: PASSWORD }],
                namespaces: ["team-a"],
            };
            assert.deepEqual(validateArgs("regcred", { ...base, verifyLogins: { unreachable: "warn" } }), []);
            assert.deepEqual(
                validateArgs("regcred", { ...base, verifyLogins: { unreachable: "never" } as never }).map(
                    (p) => p.propertyPath,
                ),
                ["verifyLogins.unreachable"],
            );
        });
    });

    describe("in the component", () => {
        let lib: Awaited<ReturnType<typeof loadComponents>>;
        let errors: string[];
        let warnings: string[];
        const [error, warn] = [pulumi.log.error, pulumi.log.warn];
        before(async () => {
            lib = await loadComponents();
        });
        beforeEach(() => {
            [errors, warnings] = [[], []];
            pulumi.log.error = async (message: string) => void errors.push(message);
            pulumi.log.warn = async (message: string) => void warnings.push(message);
        });
        afterEach(() => {
            [pulumi.log.error, pulumi.log.warn] = [error, warn];
        });

        const isKnown = (output: pulumi.Output<unknown>): Promise<boolean> =>
            (output as unknown as { isKnown: Promise<boolean> }).isKnown;

        it("a wrong password leaves the Secrets' data unknown and logs an error naming the server and status", async () => {
            registry = await startFakeRegistry({ scheme: "basic", username: USER, password: PASSWORD });
            const component = new lib.RegistryCredentials("checked-bad", {
                registries: [{ server: registry.server, username: USER, password: WRONG }],
                namespaces: ["team-a"],
                verifyLogins: true,
            });
            assert.equal(await isKnown(component.dockerConfigJson), false);
            assert.equal(errors.length, 1);
            assert.ok(
                errors[0].startsWith(
                    `RegistryCredentials "checked-bad" wrote no Secret: verifyLogins found a login that fails:\n  - "${registry.server}": GET`,
                ),
                errors[0],
            );
            assert.match(errors[0], /HTTP 401 Unauthorized/);
            assertNoCredentials(errors[0]);
        });

        it("a good login passes the config through unchanged", async () => {
            registry = await startFakeRegistry({ scheme: "basic", username: USER, password: PASSWORD });
            const component = new lib.RegistryCredentials("checked-good", {
                registries: [{ server: registry.server, username: USER, password: pulumi.secret(PASSWORD) }],
                namespaces: ["team-a"],
                verifyLogins: true,
            });
            assert.equal(
                JSON.parse(await valueOf(component.dockerConfigJson)).auths[registry.server].password,
                PASSWORD,
            );
            assert.deepEqual(errors, []);
        });

        it("an unreachable registry stops the rollout by default, and only warns with unreachable: warn", async () => {
            const server = `http://127.0.0.1:${await closedPort()}`;
            const declare = (name: string, verifyLogins: boolean | { unreachable: "warn" }) =>
                new lib.RegistryCredentials(name, {
                    registries: [{ server, username: USER, password: PASSWORD }],
                    namespaces: ["team-a"],
                    verifyLogins,
                });
            assert.equal(await isKnown(declare("unreachable-error", true).dockerConfigJson), false);
            assert.match(errors.join("\n"), /ECONNREFUSED/);
            assert.deepEqual(warnings, []);

            errors = [];
            assert.ok(await valueOf(declare("unreachable-warn", { unreachable: "warn" }).dockerConfigJson));
            assert.deepEqual(errors, []);
            assert.match(
                warnings.join("\n"),
                /could not be checked \(verifyLogins.unreachable is "warn"\).*ECONNREFUSED/,
            );
        });

        it("checks the logins of a dockerConfigJson too", async () => {
            registry = await startFakeRegistry({ scheme: "basic", username: USER, password: PASSWORD });
            const auth = Buffer.from(`${USER}:${WRONG}`).toString("base64");
            const component = new lib.RegistryCredentials("checked-config", {
                dockerConfigJson: JSON.stringify({ auths: { [registry.server]: { auth } } }),
                namespaces: ["team-a"],
                verifyLogins: true,
            });
            assert.equal(await isKnown(component.dockerConfigJson), false);
            assert.match(errors.join("\n"), /HTTP 401/);
            assertNoCredentials(errors.join("\n"));
        });

        it("checks what the kubelet would send: auth, where an entry has both auth and username and password", async () => {
            registry = await startFakeRegistry({ scheme: "basic", username: USER, password: PASSWORD });
            const auth = Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
            const component = new lib.RegistryCredentials("checked-auth", {
                dockerConfigJson: JSON.stringify({
                    auths: { [registry.server]: { username: USER, password: WRONG, auth } },
                }),
                namespaces: ["team-a"],
                verifyLogins: true,
            });
            assert.ok(await valueOf(component.dockerConfigJson));
            assert.deepEqual(errors, []);
        });

        it("without verifyLogins nothing is sent", async () => {
            registry = await startFakeRegistry({ scheme: "basic", username: USER, password: PASSWORD });
            const component = new lib.RegistryCredentials("unchecked", {
                registries: [{ server: registry.server, username: USER, password: WRONG }],
                namespaces: ["team-a"],
            });
            await valueOf(component.dockerConfigJson);
            assert.deepEqual(registry.requests, []);
        });
    });
});
