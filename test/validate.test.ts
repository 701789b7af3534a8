import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { loadComponents, registered, valueOf } from "./mocks";

type Library = Awaited<ReturnType<typeof loadComponents>>;
type Args = import("../components").RegistryCredentialsArgs;

const PASSWORD = "hunter2-do-not-leak";
const robot = { server: "ghcr.io", username: "robot", password: PASSWORD };
const valid: Args = { registries: [robot], namespaces: ["team-a"] };

let lib: Library;
before(async () => {
    lib = await loadComponents();
});

/** The error the constructor throws, checked to be an InputPropertiesError free of credentials. */
function rejection(args: Args, name = "regcred"): pulumi.InputPropertiesError {
    try {
        new lib.RegistryCredentials(name, args);
    } catch (err) {
        assert.ok(pulumi.InputPropertiesError.isInstance(err), `expected an InputPropertiesError, got ${err}`);
        // Marked a RunError too, so that Pulumi prints the message alone rather than "Unhandled exception" and a stack trace.
        assert.ok(pulumi.RunError.isInstance(err), "not marked as a RunError");
        assert.ok(!err.message.includes(PASSWORD), "the message shows the password");
        return err;
    }
    assert.fail("the constructor accepted invalid arguments");
}

/** Each problem as "path: reason". */
const problems = (err: pulumi.InputPropertiesError) => err.errors.map((e) => `${e.propertyPath}: ${e.reason}`);

function assertProblem(args: Args, path: string, ...fragments: string[]) {
    const found = problems(rejection(args)).filter((p) => p.startsWith(`${path}: `));
    assert.equal(found.length, 1, `expected one problem at ${path}, got:\n${problems(rejection(args)).join("\n")}`);
    for (const fragment of fragments) {
        assert.ok(found[0].includes(fragment), `"${found[0]}" should mention ${fragment}`);
    }
}

describe("validation", () => {
    it("reports every problem at once, before declaring anything", async () => {
        const before = await registered(() => []);
        assert.equal(before.length, 0);

        const err = rejection({
            registries: [{ server: "", username: "", password: "" }],
            namespaces: ["Team_A", "ok", "ok"],
            serviceAccounts: ["Default"],
            secretName: "Bad Name",
        });
        assert.deepEqual(
            err.errors.map((e) => e.propertyPath),
            [
                "secretName",
                "registries[0].server",
                "registries[0].username",
                "registries[0].password",
                "namespaces[0]",
                "namespaces[2]",
                "serviceAccounts[0]",
            ],
        );
        for (const line of problems(err)) {
            assert.ok(err.message.includes(line), `the message lists "${line}"`);
        }
        assert.equal((await registered(() => [])).length, 0, "nothing was registered");
    });

    it("rejects namespace names that are not DNS-1123 labels, naming the value", () => {
        assertProblem({ ...valid, namespaces: ["Team_A"] }, "namespaces[0]", '"Team_A"', "DNS-1123 label");
        assertProblem({ ...valid, namespaces: ["a".repeat(64)] }, "namespaces[0]", "at most 63");
        assertProblem({ ...valid, namespaces: [{ name: "-bad" }] }, "namespaces[0].name", '"-bad"');
    });

    it("checks service account names as Kubernetes does, as DNS-1123 subdomains: dots allowed, up to 253 characters", () => {
        assertProblem(
            { ...valid, serviceAccounts: ["my_sa"] },
            "serviceAccounts[0]",
            '"my_sa"',
            "service account",
            "DNS-1123 subdomain",
        );
        assertProblem(
            { ...valid, namespaces: [{ name: "team-a", serviceAccounts: ["CI"] }] },
            "namespaces[0].serviceAccounts[0]",
            '"CI"',
        );
        assertProblem({ ...valid, serviceAccounts: ["a".repeat(254)] }, "serviceAccounts[0]", "at most 253");
        assert.doesNotThrow(
            () =>
                new lib.RegistryCredentials("regcred", {
                    ...valid,
                    serviceAccounts: ["ci.runner", "a".repeat(253), "x".repeat(64)],
                }),
        );
    });

    it("rejects a secretName that is not a DNS-1123 subdomain, including the default from the component name", () => {
        assertProblem({ ...valid, secretName: "Pull_Secret" }, "secretName", '"Pull_Secret"', "DNS-1123 subdomain");
        const err = rejection(valid, "MyCreds");
        assert.ok(problems(err)[0].startsWith('secretName (defaults to the component\'s name): "MyCreds"'));
        assert.doesNotThrow(() => new lib.RegistryCredentials("MyCreds", { ...valid, secretName: "ghcr.pull-secret" }));
    });

    it("rejects duplicates: namespaces, service accounts within a namespace, registry servers", () => {
        assertProblem(
            { ...valid, namespaces: ["team-a", { name: "team-a" }] },
            "namespaces[1].name",
            "listed twice",
            "namespaces[0]",
        );
        assertProblem({ ...valid, serviceAccounts: ["default", "default"] }, "serviceAccounts[1]", "listed twice");
        assertProblem(
            { ...valid, registries: [robot, { ...robot, password: "other" }] },
            "registries[1].server",
            '"ghcr.io"',
            "registries[0]",
        );
        const twoHubs = {
            ...valid,
            registries: [
                { server: "https://index.docker.io/v1/", username: "c", password: "d" },
                { username: "a", password: "b" },
            ],
        };
        assertProblem(twoHubs, "registries[1].server", "Docker Hub", "registries[0]");
    });

    it("finds duplicate registries the way the kubelet keys them, not by their spelling", () => {
        for (const [first, second] of [
            ["ghcr.io", "https://ghcr.io"],
            ["ghcr.io", "ghcr.io/"],
            ["https://ghcr.io/v2/", "ghcr.io"],
            [undefined, "index.docker.io"],
            [undefined, "https://index.docker.io/v2/"],
            ["registry.example.com:5000/team", "https://registry.example.com:5000/v1/team"],
        ]) {
            const registries = [
                { ...robot, server: first },
                { ...robot, server: second },
            ];
            assertProblem(
                { ...valid, registries },
                "registries[1].server",
                "same registry to the kubelet",
                "registries[0]",
            );
        }
        // Different keys: another port, another path, another host.
        const distinct = ["ghcr.io", "ghcr.io:443", "ghcr.io/acme", "registry.example.com"].map((server) => ({
            ...robot,
            server,
        }));
        assert.doesNotThrow(() => new lib.RegistryCredentials("regcred", { ...valid, registries: distinct }));
    });

    it("refuses a server the kubelet cannot parse, which it would silently ignore", () => {
        assertProblem(
            { ...valid, registries: [{ ...robot, server: " ghcr.io" }] },
            "registries[0].server",
            '" ghcr.io"',
            "blanks",
        );
        assertProblem(
            { ...valid, registries: [{ ...robot, server: "ghcr.io\n" }] },
            "registries[0].server",
            "control character",
        );
        assertProblem(
            { ...valid, registries: [{ ...robot, server: "ghcr.io:https" }] },
            "registries[0].server",
            "invalid port",
        );
        assertProblem({ ...valid, registries: [{ ...robot, server: "ghcr.io/a%zz" }] }, "registries[0].server", "'%'");
        assertProblem(
            { ...valid, registries: [{ ...robot, server: "oci://ghcr.io" }] },
            "registries[0].server",
            '"oci://"',
        );
        assertProblem(
            { ...valid, registries: [{ ...robot, server: "robot@ghcr.io" }] },
            "registries[0].server",
            "user name",
        );
    });

    it("refuses registry-1.docker.io, which never matches a Docker Hub image, and says to leave server out", () => {
        for (const server of ["registry-1.docker.io", "https://registry-1.docker.io/v2/"]) {
            assertProblem(
                { ...valid, registries: [{ ...robot, server }] },
                "registries[0].server",
                "never matches",
                "leave server out",
            );
        }
    });

    it("accepts the same service account name in different namespaces", () => {
        assert.doesNotThrow(
            () =>
                new lib.RegistryCredentials("regcred", {
                    ...valid,
                    namespaces: [
                        { name: "a", serviceAccounts: ["ci"] },
                        { name: "b", serviceAccounts: ["ci"] },
                    ],
                }),
        );
    });

    it("rejects an empty namespace list", () => {
        assertProblem({ ...valid, namespaces: [] }, "namespaces", "at least one");
    });

    it("rejects an empty server, username or password without showing the password", () => {
        assertProblem({ ...valid, registries: [{ ...robot, server: " " }] }, "registries[0].server", "Docker Hub");
        assertProblem({ ...valid, registries: [{ ...robot, username: "" }] }, "registries[0].username", "empty");
        assertProblem({ ...valid, registries: [{ ...robot, password: "" }] }, "registries[0].password", "empty");
        assertProblem({ ...valid, registries: [] }, "registries", "at least one");
    });

    it("rejects a username with ':', which the kubelet would split, without showing any of it", () => {
        const pasted = `robot:${PASSWORD}`;
        assertProblem(
            { ...valid, registries: [{ ...robot, username: pasted }] },
            "registries[0].username",
            "':'",
            "put the token in password",
        );
        const message = rejection({ ...valid, registries: [{ ...robot, username: pasted }] }).message;
        assert.ok(!message.includes("robot"), message);
    });

    it("refuses values of the wrong type with a field-named message, before they can do harm", () => {
        assertProblem({ ...valid, secretName: 5 as unknown as string }, "secretName", "must be a string");
        assertProblem(
            { ...valid, fieldManager: ["m"] as unknown as string },
            "fieldManager",
            "must be a string",
            "a list",
        );
        assertProblem(
            { ...valid, serviceAccounts: "default" as unknown as string[] },
            "serviceAccounts",
            "must be a list",
            '"default"',
        );
        assertProblem(
            { ...valid, serviceAccounts: [7 as unknown as string] },
            "serviceAccounts[0]",
            "must be a string",
        );
        assertProblem({ ...valid, registries: "ghcr.io" as unknown as [] }, "registries", "must be a list");
        assertProblem(
            { ...valid, registries: ["ghcr.io" as unknown as typeof robot] },
            "registries[0]",
            "must be an object",
        );
        assertProblem(
            { ...valid, registries: [{ ...robot, username: 5 as unknown as string }] },
            "registries[0].username",
            "must be a string",
        );
        assertProblem(
            { ...valid, registries: [{ ...robot, password: 5 as unknown as string }] },
            "registries[0].password",
            "must be a string",
        );
        assertProblem(
            { ...valid, registries: [{ ...robot, email: 5 as unknown as string }] },
            "registries[0].email",
            "must be a string",
        );
        assertProblem(
            { ...valid, registries: [{ server: "ghcr.io", password: PASSWORD } as typeof robot] },
            "registries[0].username",
            "is required",
        );
        assertProblem(
            { ...valid, dockerConfigJson: 5 as unknown as string, registries: undefined },
            "dockerConfigJson",
            "docker config.json",
        );
    });

    it("reports namespaces given as a string, a number, or an object without a name, by field", () => {
        assertProblem(
            { ...valid, namespaces: "team-a" as unknown as string[] },
            "namespaces",
            "must be a list",
            '["team-a"]',
        );
        assertProblem(
            { ...valid, namespaces: [{ serviceAccounts: ["ci"] } as unknown as string] },
            "namespaces[0].name",
            "is required",
        );
        assertProblem(
            { ...valid, namespaces: [42 as unknown as string] },
            "namespaces[0]",
            "namespace name or an object",
            "42",
        );
        assertProblem(
            { ...valid, namespaces: [{ name: 42 } as unknown as string] },
            "namespaces[0].name",
            "must be a string",
        );
        assertProblem({ registries: [robot] } as Args, "namespaces", "is required");
        assert.deepEqual(problems(rejection(undefined as unknown as Args)), [
            "args: must be an object with registries (or dockerConfigJson) and namespaces, not nothing",
        ]);
    });

    it("names a misspelt setting and suggests the one meant, where a JavaScript caller's typo would otherwise be ignored", () => {
        assertProblem({ ...valid, serviceAccount: ["ci"] } as Args, "serviceAccount", 'did you mean "serviceAccounts"');
        assertProblem(
            { ...valid, namespaces: [{ name: "team-a", takeOwnerhsip: true } as unknown as string] },
            "namespaces[0].takeOwnerhsip",
            'did you mean "takeOwnership"',
        );
        assertProblem(
            { ...valid, registries: [{ ...robot, sever: "ghcr.io" } as typeof robot] },
            "registries[0].sever",
            'did you mean "server"',
        );
    });

    it("requires exactly one credential source", () => {
        assertProblem({ namespaces: ["team-a"] }, "registries", "either registries", "or dockerConfigJson");
        assertProblem({ ...valid, dockerConfigJson: '{"auths":{}}' }, "registries", "not both");
    });

    it("accepts the deprecated settings with any value, since they do nothing, and warns once of each", async () => {
        // In 0.1.0 a truthy "false" took another writer's list; now the setting is ignored, so no value of it can do harm.
        const warnings: string[] = [];
        const warn = pulumi.log.warn;
        pulumi.log.warn = async (message: string) => void warnings.push(message);
        try {
            new lib.RegistryCredentials("regcred", {
                ...valid,
                takeOwnership: "false" as unknown as boolean,
                keepImagePullSecrets: "x" as unknown as string[],
                namespaces: [
                    { name: "team-a", keepImagePullSecrets: ["Bad", "Bad"], takeOwnership: 1 as unknown as boolean },
                ],
            });
        } finally {
            pulumi.log.warn = warn;
        }
        assert.equal(warnings.filter((w) => w.startsWith("takeOwnership is deprecated and ignored")).length, 1);
        assert.equal(warnings.filter((w) => w.startsWith("keepImagePullSecrets is deprecated and ignored")).length, 1);
    });

    it("rejects a field manager the API server would refuse, counting bytes", () => {
        assertProblem({ ...valid, fieldManager: "x".repeat(129) }, "fieldManager", "128 bytes");
        assertProblem({ ...valid, fieldManager: "é".repeat(65) }, "fieldManager", "128 bytes");
        assertProblem({ ...valid, fieldManager: "" }, "fieldManager", "128");
        assert.doesNotThrow(
            () => new lib.RegistryCredentials("regcred", { ...valid, fieldManager: "équipe-plateforme" }),
        );
    });

    describe("dockerConfigJson", () => {
        const secretAuth = Buffer.from(`robot:${PASSWORD}`).toString("base64");
        const withConfig = (dockerConfigJson: string): Args => ({ dockerConfigJson, namespaces: ["team-a"] });
        const assertConfigProblem = (text: string, path: string, ...fragments: string[]) => {
            const err = rejection(withConfig(text));
            assert.ok(!err.message.includes(secretAuth), "the message shows the auth token");
            assertProblem(withConfig(text), path, ...fragments);
        };

        it("rejects text that is not JSON without quoting it", () => {
            const text = `{"auths": {"ghcr.io": {"auth": "${secretAuth}"}}`; // one brace short
            assertConfigProblem(text, "dockerConfigJson", "not valid JSON");
            assertConfigProblem(`${PASSWORD}`, "dockerConfigJson", "not valid JSON");
        });

        it("rejects a config without auths", () => {
            assertConfigProblem(`{"${PASSWORD}": {"auth": "${secretAuth}"}}`, "dockerConfigJson", 'no "auths"');
        });

        it("explains Docker Desktop's credential store and how to get real credentials", () => {
            const desktop = JSON.stringify({
                auths: { "https://index.docker.io/v1/": {}, "ghcr.io": {} },
                credsStore: "desktop",
            });
            const err = rejection(withConfig(desktop));
            assert.deepEqual(
                err.errors.map((e) => e.propertyPath),
                [
                    'dockerConfigJson.auths["https://index.docker.io/v1/"]',
                    'dockerConfigJson.auths["ghcr.io"]',
                    "dockerConfigJson",
                ],
            );
            assert.ok(err.errors[0].reason.includes('"credsStore": "desktop"'));
            // The way out is said once, not for every entry.
            assert.equal(
                err.message.split("Pass registries (server, username, password) instead").length,
                2,
                err.message,
            );
            assert.ok(err.errors[2].reason.includes("Pass registries"));
            assertConfigProblem(JSON.stringify({ credsStore: "osxkeychain" }), "dockerConfigJson", "credsStore");
            assertConfigProblem(
                JSON.stringify({ auths: {}, credHelpers: { "gcr.io": "gcloud" } }),
                "dockerConfigJson.auths",
                "credHelpers",
            );
        });

        it("rejects entries that hold no usable credentials", () => {
            assertConfigProblem(
                JSON.stringify({ auths: { "r.io": { identitytoken: PASSWORD } } }),
                'dockerConfigJson.auths["r.io"]',
                "identity",
                "kubelet cannot use",
                "username and password instead",
            );
            assertConfigProblem(
                JSON.stringify({ auths: { "r.io": { auth: ` ${secretAuth}\n` } } }),
                'dockerConfigJson.auths["r.io"]',
                "not strict base64",
            );
            assertConfigProblem(
                JSON.stringify({ auths: { "r.io": { auth: secretAuth.replace(/=+$/, "") } } }),
                'dockerConfigJson.auths["r.io"]',
                "not strict base64",
            );
            assertConfigProblem(
                JSON.stringify({ auths: { "r.io": { auth: Buffer.from(PASSWORD).toString("base64") } } }),
                'dockerConfigJson.auths["r.io"]',
                "username:password",
            );
            assertConfigProblem(
                JSON.stringify({ auths: { "r.io": { username: "u" } } }),
                'dockerConfigJson.auths["r.io"]',
                "no credentials",
            );
        });

        it("accepts auth, or username and password", () => {
            const config = JSON.stringify({
                auths: { "a.io": { auth: secretAuth }, "b.io": { username: "u", password: "p" } },
            });
            assert.doesNotThrow(() => new lib.RegistryCredentials("regcred", withConfig(config)));
        });
    });

    describe("values given as Outputs", () => {
        // An Output's value is checked once known, and an error then ends the
        // program as it ends `pulumi up`: see it from outside, in its own process.
        const runLate = (scenario: string) => {
            const result = spawnSync(
                process.execPath,
                ["-r", "ts-node/register/transpile-only", "test/fixtures/lateValues.ts", scenario, PASSWORD],
                {
                    encoding: "utf8",
                },
            );
            assert.notEqual(result.status, 0, "the program failed");
            assert.ok(
                !result.stderr.includes(PASSWORD) && !result.stdout.includes(PASSWORD),
                "the output shows the secret",
            );
            return result.stderr;
        };

        it("checks a password Output once known, with the constructor's message", () => {
            const expected = rejection(
                { registries: [{ ...robot, password: "" }], namespaces: ["team-a"] },
                "late",
            ).message;
            assert.ok(runLate("password").includes(expected), `stderr lacks:\n${expected}`);
        });

        it("checks a secret username Output once known without showing any of it", () => {
            const stderr = runLate("username");
            assert.ok(stderr.includes("registries[0].username: contains ':'"), stderr);
            assert.ok(!stderr.includes("org-bot"), "the user name is shown");
        });

        it("checks a dockerConfigJson Output once known without quoting it", () => {
            assert.ok(runLate("dockerConfigJson").includes("dockerConfigJson: is not valid JSON"));
        });

        it("accepts valid Output values", async () => {
            const component = new lib.RegistryCredentials("late-ok", {
                registries: [
                    {
                        server: pulumi.output("ghcr.io"),
                        username: pulumi.output("robot"),
                        password: pulumi.secret(PASSWORD),
                    },
                ],
                namespaces: ["team-a"],
            });
            assert.equal(JSON.parse(await valueOf(component.dockerConfigJson)).auths["ghcr.io"].password, PASSWORD);
        });
    });

    it("takes attach as one of its two modes, refusing a misspelt one with the mode meant", () => {
        assertProblem(
            { ...valid, attach: "admissionPolicies" as "admissionPolicy" },
            "attach",
            '"serviceAccounts" or "admissionPolicy"',
            'did you mean "admissionPolicy"?',
        );
        assertProblem(
            { ...valid, attach: true as unknown as "admissionPolicy" },
            "attach",
            '"serviceAccounts" or "admissionPolicy"',
        );
    });

    it("refuses service accounts in admission-policy mode, where they would silently do nothing", () => {
        assertProblem(
            { ...valid, attach: "admissionPolicy", serviceAccounts: ["default"] },
            "serviceAccounts",
            "is not used with attach",
        );
        assertProblem(
            { ...valid, attach: "admissionPolicy", namespaces: [{ name: "team-a", serviceAccounts: ["ci"] }] },
            "namespaces[0].serviceAccounts",
            "is not used with attach",
        );
    });

    it("takes serviceAccountWaitSeconds from 0 to an hour", () => {
        for (const bad of [-1, 3601, Number.NaN, "60" as unknown as number]) {
            assertProblem(
                { ...valid, serviceAccountWaitSeconds: bad },
                "serviceAccountWaitSeconds",
                "must be a number of seconds from 0 to 3600",
            );
        }
    });
});
