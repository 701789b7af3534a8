import { strict as assert } from "assert";
import { closest } from "../components/closest";
import { ConfigSource, DockerConfigFile, StackConfigError, resolveStack } from "../stacks/stackConfig";

const PROJECT = "registry-credentials";
const PASSWORD = "hunter2-s3cret";
const GOOD_REGISTRIES = JSON.stringify([{ server: "ghcr.io", username: "bot", password: PASSWORD }]);

/** A config as the CLI hands it over: the registries key is secret because it holds a password. */
function source(values: Record<string, string>, secretKeys = [`${PROJECT}:registries`]): ConfigSource {
    const prefixed = Object.fromEntries(Object.entries(values).map(([key, value]) => [`${PROJECT}:${key}`, value]));
    return { project: PROJECT, stack: "staging", values: prefixed, secretKeys: new Set(secretKeys) };
}

const noFile = (): DockerConfigFile => assert.fail("no docker config file should be read");

/** The error resolveStack throws, with its message and problems. */
function configError(
    values: ConfigSource,
    readDockerConfig: (path: string) => DockerConfigFile = noFile,
): StackConfigError {
    try {
        resolveStack(values, readDockerConfig);
    } catch (error) {
        assert.ok(error instanceof StackConfigError, `expected a StackConfigError, got ${error}`);
        return error;
    }
    return assert.fail("the config was accepted");
}

function reasonAt(error: StackConfigError, key: string): string {
    const problem = error.problems.find((p) => p.propertyPath === `${PROJECT}:${key}`);
    assert.ok(problem, `no problem reported at ${key}; got:\n${error.message}`);
    return problem.reason;
}

describe("stack config", () => {
    it("resolves a valid config into one rollout per cluster with the same arguments", () => {
        const settings = resolveStack(
            source({
                clusters: JSON.stringify(["prod-eu", "prod-us"]),
                namespaces: JSON.stringify(["payments", { name: "ci", serviceAccounts: ["default", "builder"] }]),
                registries: GOOD_REGISTRIES,
                takeOwnership: "true",
            }),
            noFile,
        );
        assert.deepEqual(
            settings.rollouts.map((r) => [r.cluster, r.componentName]),
            [
                [{ key: "prod-eu", context: "prod-eu" }, "regcred@prod-eu"],
                [{ key: "prod-us", context: "prod-us" }, "regcred@prod-us"],
            ],
        );
        const args = settings.rollouts[0].args;
        assert.equal(args.secretName, "regcred");
        assert.equal(args.takeOwnership, "true", "handed on as it is, for the component's warning");
        assert.deepEqual(args.registries, [{ server: "ghcr.io", username: "bot", password: PASSWORD }]);
        assert.equal(settings.rollouts[1].args, args);
    });

    it("targets the current kubeconfig context when clusters is not set", () => {
        const settings = resolveStack(source({ namespaces: '["payments"]', registries: GOOD_REGISTRIES }), noFile);
        assert.deepEqual(
            settings.rollouts.map((r) => r.cluster),
            [{ key: "current-context" }],
        );
    });

    it("chooses namespaces by label from config, with no namespaces list, as the component takes them", () => {
        const selectors = [
            { matchLabels: { "pull-secrets": "ghcr" } },
            { matchExpressions: [{ key: "team", operator: "Exists" }] },
        ];
        const settings = resolveStack(
            source({
                namespaceSelectors: JSON.stringify(selectors),
                excludeNamespaces: '["sandbox"]',
                allowEmptySelection: "true",
                maxRemovedShare: "0.5",
                registries: GOOD_REGISTRIES,
            }),
            noFile,
        );
        const args = settings.rollouts[0].args;
        assert.deepEqual(args.namespaceSelectors, selectors);
        assert.equal(args.namespaces, undefined);
        assert.deepEqual(args.excludeNamespaces, ["sandbox"]);
        assert.equal(args.allowEmptySelection, true);
        assert.equal(args.maxRemovedShare, 0.5);
    });

    it("reports a bad selector from config at its config key, with the component's message", () => {
        const error = configError(
            source({
                namespaceSelectors: JSON.stringify([{ matchExpressions: [{ key: "team", operator: "Has" }] }]),
                registries: GOOD_REGISTRIES,
            }),
        );
        assert.match(reasonAt(error, "namespaceSelectors[0].matchExpressions[0].operator"), /must be one of In, NotIn/);
    });

    describe("a misspelt key", () => {
        it("at the top names the key and suggests the one meant", () => {
            const error = configError(
                source({ namespaces: '["payments"]', registries: GOOD_REGISTRIES, secretNmae: "regcred" }),
            );
            assert.equal(reasonAt(error, "secretNmae"), 'is not a setting of this project; did you mean "secretName"?');
            assert.match(
                error.message,
                /^Stack "staging" has a configuration problem \(config in stacks\/Pulumi\.staging\.yaml\):\n {2}- registry-credentials:secretNmae: /,
            );
        });

        it("inside a namespace or a registry is found too", () => {
            const error = configError(
                source({
                    namespaces: JSON.stringify([{ name: "ci", serviceAcounts: ["builder"] }]),
                    registries: JSON.stringify([
                        { server: "ghcr.io", usernme: "bot", username: "bot", password: PASSWORD },
                    ]),
                }),
            );
            assert.match(reasonAt(error, "namespaces[0].serviceAcounts"), /did you mean "serviceAccounts"\?/);
            assert.match(reasonAt(error, "registries[0].usernme"), /did you mean "username"\?/);
        });

        it("far from every known key lists the known keys instead of guessing", () => {
            const error = configError(
                source({ namespaces: '["payments"]', registries: GOOD_REGISTRIES, region: "eu" }),
            );
            assert.match(reasonAt(error, "region"), /the settings are namespaces, registries, dockerConfigPath/);
        });

        it("of another namespace, such as a provider's, is left to its owner", () => {
            const values = source({ namespaces: '["payments"]', registries: GOOD_REGISTRIES });
            const settings = resolveStack(
                { ...values, values: { ...values.values, "kubernetes:context": "kind-dev" } },
                noFile,
            );
            assert.equal(settings.rollouts.length, 1);
        });
    });

    it("suggests only near misses", () => {
        assert.equal(closest("namespace", ["namespaces", "registries"]), "namespaces");
        assert.equal(closest("Registries", ["namespaces", "registries"]), "registries");
        assert.equal(closest("colour", ["namespaces", "registries"]), undefined);
    });

    describe("a missing key", () => {
        it("password says how to set it encrypted", () => {
            const error = configError(
                source({
                    namespaces: '["payments"]',
                    registries: JSON.stringify([{ server: "ghcr.io", username: "bot" }]),
                }),
            );
            assert.match(
                reasonAt(error, "registries[0].password"),
                /^is not set\. Set it, encrypted, with: pulumi config set --secret --path 'registries\[0\]\.password' --stack staging/,
            );
            assert.equal(error.problems.length, 1, error.message);
        });

        it("namespaces shows what to write", () => {
            const error = configError(source({ registries: GOOD_REGISTRIES }));
            assert.match(reasonAt(error, "namespaces"), /^is not set\. List the namespaces/);
            assert.equal(error.problems.length, 1, error.message);
        });

        it("credentials name both ways to give them", () => {
            const error = configError(source({ namespaces: '["payments"]' }));
            assert.match(reasonAt(error, "registries"), /is not set, and neither is dockerConfigPath/);
            assert.equal(error.problems.length, 1, error.message);
        });
    });

    it("a bad namespace gets the component's own message at its config key", () => {
        const error = configError(source({ namespaces: '["payments", "Team_B"]', registries: GOOD_REGISTRIES }));
        assert.match(
            reasonAt(error, "namespaces[1]"),
            /^"Team_B" is not a valid namespace name: it must be a DNS-1123 label/,
        );
    });

    it("reports every problem at once", () => {
        const error = configError(
            source({ namespaces: '["Bad"]', registries: JSON.stringify([{ username: "bot" }]), secretNam: "x" }),
        );
        assert.equal(error.problems.length, 3, error.message);
        assert.match(error.message, /has 3 configuration problems/);
    });

    it("refuses a password kept in plain text, without quoting it", () => {
        const error = configError(source({ namespaces: '["payments"]', registries: GOOD_REGISTRIES }, []));
        assert.match(
            reasonAt(error, "registries[0].password"),
            /is stored in plain text in stacks\/Pulumi\.staging\.yaml/,
        );
        assert.ok(!error.message.includes(PASSWORD));
    });

    it("refuses values of the wrong type in the stack file, as the component does, and hands deprecated keys on unread", () => {
        const error = configError(
            source({
                namespaces: JSON.stringify([{ name: "payments", takeOwnership: "false" }]),
                registries: GOOD_REGISTRIES,
                serviceAccounts: "default",
                takeOwnership: "no",
            }),
        );
        assert.match(reasonAt(error, "serviceAccounts"), /must be a list of service account names/);
        assert.deepEqual(
            error.problems.map((p) => p.propertyPath),
            ["registry-credentials:serviceAccounts"],
        );
    });

    it("refuses a plain-text password beside a secure one: each password must be secure on its own", () => {
        const registries = JSON.stringify([
            { server: "ghcr.io", username: "bot", password: "decrypted-secure-value" },
            { server: "harbor.example.com", username: "robot", password: PASSWORD },
        ]);
        const config = source({ namespaces: '["payments"]', registries });
        const stackFile = {
            keys: new Set([`${PROJECT}:registries`]),
            securePaths: new Set(["registries[0].password"]),
        };
        const error = configError({ ...config, stackFile });
        assert.deepEqual(
            error.problems.map((p) => p.propertyPath),
            [`${PROJECT}:registries[1].password`],
        );
        assert.match(reasonAt(error, "registries[1].password"), /is stored in plain text/);
        assert.ok(!error.message.includes(PASSWORD));
        // Both secure: accepted.
        assert.doesNotThrow(() =>
            resolveStack(
                {
                    ...config,
                    stackFile: {
                        ...stackFile,
                        securePaths: new Set(["registries[0].password", "registries[1].password"]),
                    },
                },
                () => ({ text: "" }),
            ),
        );
    });

    it("never puts a password or a docker config into a message", () => {
        const auth = Buffer.from(`bot:${PASSWORD}`).toString("base64");
        const errors = [
            configError(
                source({
                    namespaces: '["Bad"]',
                    registries: JSON.stringify([{ server: "ghcr.io", username: "b:ot", password: PASSWORD }]),
                }),
            ),
            configError(source({ namespaces: '["payments"]', registries: PASSWORD }, [])),
            configError(source({ namespaces: '["Bad"]', dockerConfigPath: "cfg.json" }), () => ({
                text: `{"auths":{"ghcr.io":{"auth":"${auth}x"}}, "x": "${PASSWORD}"}`,
            })),
        ];
        for (const error of errors) {
            assert.ok(!error.message.includes(PASSWORD), error.message);
            assert.ok(!error.message.includes(auth), error.message);
        }
    });

    describe("dockerConfigPath", () => {
        it("passes the file's text to the component as dockerConfigJson", () => {
            const text = JSON.stringify({ auths: { "ghcr.io": { auth: Buffer.from("bot:pw").toString("base64") } } });
            const settings = resolveStack(
                source({ namespaces: '["default"]', dockerConfigPath: "~/.docker/config.json" }),
                (file) => {
                    assert.equal(file, "~/.docker/config.json");
                    return { text };
                },
            );
            assert.equal(settings.rollouts[0].args.dockerConfigJson, text);
            assert.equal(settings.rollouts[0].args.registries, undefined);
        });

        it("reports a file that is not there with the reader's explanation", () => {
            const error = configError(
                source({ namespaces: '["default"]', dockerConfigPath: "~/.docker/config.json" }),
                () => ({ missing: "does not exist. Run `docker login`" }),
            );
            assert.equal(reasonAt(error, "dockerConfigPath"), "does not exist. Run `docker login`");
            assert.equal(error.problems.length, 1, error.message);
        });

        it("says so when the file only points at a credential store", () => {
            const error = configError(
                source({ namespaces: '["default"]', dockerConfigPath: "~/.docker/config.json" }),
                () => ({
                    text: JSON.stringify({ auths: { "ghcr.io": {} }, credsStore: "desktop" }),
                }),
            );
            assert.match(
                error.message,
                /dockerConfigPath \(~\/\.docker\/config\.json\)\.auths\["ghcr\.io"\]: holds no credentials: the credentials are in the credential store "credsStore": "desktop"/,
            );
        });

        it("may not be set together with registries", () => {
            const error = configError(
                source({ namespaces: '["default"]', registries: GOOD_REGISTRIES, dockerConfigPath: "x.json" }),
            );
            assert.match(reasonAt(error, "dockerConfigPath"), /is set as well as registries; set only one/);
        });
    });

    it("clusters must be a list of distinct context names", () => {
        const error = configError(
            source({ namespaces: '["default"]', registries: GOOD_REGISTRIES, clusters: '["a", "a", ""]' }),
        );
        assert.match(reasonAt(error, "clusters[1]"), /"a" is listed twice/);
        assert.match(reasonAt(error, "clusters[2]"), /must be a kubeconfig context name/);
    });

    describe("verifyLogins", () => {
        const resolved = (verifyLogins: string) =>
            resolveStack(source({ namespaces: '["payments"]', registries: GOOD_REGISTRIES, verifyLogins }), noFile)
                .rollouts[0].args.verifyLogins;

        it("is off unless the stack turns it on", () => {
            assert.equal(
                resolveStack(source({ namespaces: '["payments"]', registries: GOOD_REGISTRIES }), noFile).rollouts[0]
                    .args.verifyLogins,
                undefined,
            );
            assert.equal(resolved("false"), false);
        });

        it("true, or its options, reach every cluster's component as the component takes them", () => {
            assert.equal(resolved("true"), true);
            assert.deepEqual(resolved(JSON.stringify({ repository: "team/app", unreachable: "warn" })), {
                repository: "team/app",
                unreachable: "warn",
            });
        });

        it("a wrong value is reported at its config key with the component's message", () => {
            const error = configError(
                source({
                    namespaces: '["payments"]',
                    registries: GOOD_REGISTRIES,
                    verifyLogins: JSON.stringify({ unreachable: "ignore", repo: "x" }),
                }),
            );
            assert.match(reasonAt(error, "verifyLogins.unreachable"), /must be "error" or "warn", not "ignore"/);
            assert.match(reasonAt(error, "verifyLogins.repo"), /is not a setting here/);
            assert.match(
                reasonAt(
                    configError(
                        source({ namespaces: '["payments"]', registries: GOOD_REGISTRIES, verifyLogins: "yes" }),
                    ),
                    "verifyLogins",
                ),
                /must be true, false or/,
            );
        });
    });

    describe("attach and serviceAccountWaitSeconds", () => {
        const args = (values: Record<string, string>) =>
            resolveStack(source({ namespaces: '["payments"]', registries: GOOD_REGISTRIES, ...values }), noFile)
                .rollouts[0].args;

        it("reach the component as it takes them: the mode as a string, the wait as a number", () => {
            assert.equal(args({ attach: "admissionPolicy" }).attach, "admissionPolicy");
            assert.equal(args({ serviceAccountWaitSeconds: "90" }).serviceAccountWaitSeconds, 90);
        });

        it("a wrong value is reported at its config key with the component's message", () => {
            assert.match(
                reasonAt(
                    configError(
                        source({
                            namespaces: '["payments"]',
                            registries: GOOD_REGISTRIES,
                            attach: "admissionPolicies",
                        }),
                    ),
                    "attach",
                ),
                /did you mean "admissionPolicy"/,
            );
            assert.match(
                reasonAt(
                    configError(
                        source({
                            namespaces: '["payments"]',
                            registries: GOOD_REGISTRIES,
                            serviceAccountWaitSeconds: "soon",
                        }),
                    ),
                    "serviceAccountWaitSeconds",
                ),
                /must be a number of seconds/,
            );
        });
    });
});
