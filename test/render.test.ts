import "./mocks";
import { strict as assert } from "assert";
import { SpawnSyncReturns, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { PROJECT, Registration, STACK, isSecretWrapped, loadStackProgram, registered, unwrapSecret } from "./mocks";
import { PROJECT_DIR, knownStacks, projectName, readStackFile } from "../stacks/stackFiles";
import { ConfigSource } from "../stacks/stackConfig";
import { closedPort } from "./fakeRegistry";

const PASSWORD = "dev-token-Zq7!";
const DOCKER_CONFIG = `{\n  "auths": {\n    "ghcr.io": { "auth": "${Buffer.from(`me:${PASSWORD}`).toString("base64")}" }\n  }\n}\n`;

/** A home directory for the child process: empty (a fresh machine), or with a docker login. */
function home(dockerConfig?: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-home-"));
    if (dockerConfig !== undefined) {
        fs.mkdirSync(path.join(dir, ".docker"));
        fs.writeFileSync(path.join(dir, ".docker", "config.json"), dockerConfig);
    }
    return dir;
}

/** Runs a command of this repository in its own process, as `npm run <script> -- <args>` would. */
function run(
    script: "render" | "deploy",
    args: string[],
    homeDir = home(),
    env: NodeJS.ProcessEnv = {},
): SpawnSyncReturns<string> {
    return spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", `stacks/${script}.ts`, ...args], {
        cwd: PROJECT_DIR,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024, // a render of thousands of namespaces is megabytes of YAML
        env: { ...process.env, HOME: homeDir, PATH: process.env.PATH, KUBECONFIG: "", ...env },
    });
}

function documents(stdout: string): any[] {
    return YAML.parseAllDocuments(stdout).map((document) => {
        assert.equal(document.errors.length, 0, String(document.errors));
        return document.toJS();
    });
}

function identity(manifest: any): string {
    return `${manifest.kind} ${manifest.metadata.namespace}/${manifest.metadata.name}`;
}

function dockerConfigOf(secret: any): string {
    return Buffer.from(secret.data[".dockerconfigjson"], "base64").toString("utf8");
}

/** A stack file that exists only for one test. */
function withStackFile<T>(yaml: string, test: (stack: string) => T): T {
    const stack = `render-test-${process.pid}`;
    const file = path.join(PROJECT_DIR, "stacks", `Pulumi.${stack}.yaml`);
    fs.writeFileSync(file, yaml);
    try {
        return test(stack);
    } finally {
        fs.rmSync(file);
    }
}

describe("npm run render", () => {
    for (const stack of knownStacks().filter((name) => !name.startsWith("render-test-"))) {
        it(`renders the ${stack} stack's committed config on a machine with no docker login`, () => {
            const result = run("render", [stack]);
            assert.equal(result.status, 0, result.stderr);

            const docs = documents(result.stdout);
            const secrets = docs.filter((d) => d.kind === "Secret");
            assert.ok(secrets.length > 0);
            assert.equal(secrets.length, docs.length, "only Secrets");
            const summary =
                /(\d+) clusters? × (\d+) namespaces? = (\d+) Secrets?, and (\d+) service account entr(y|ies) \(service accounts: (.*)\)/.exec(
                    result.stderr,
                );
            assert.ok(summary, result.stderr);
            assert.equal(Number(summary[1]) * Number(summary[2]), secrets.length);
            assert.equal(Number(summary[3]), secrets.length);
            // Each Secret says which of its namespace's service accounts get the entry.
            const attached = result.stdout
                .split("\n---\n")
                .map(
                    (text) =>
                        /^# Added as one entry to the imagePullSecrets of service accounts? (.+) \(a conditional JSON Patch/m
                            .exec(text)?.[1]
                            .split(", ") ?? [],
                );
            assert.equal(attached.flat().length, Number(summary[4]));

            // Each document says which cluster it is for.
            const clusterComments = result.stdout.split("\n---\n").map((text) => /^# cluster: (.+)$/m.exec(text)?.[1]);
            assert.ok(
                clusterComments.every((cluster) => cluster !== undefined),
                result.stdout,
            );
            assert.equal(new Set(clusterComments).size, Number(summary[1]));
            for (const secret of secrets) {
                assert.equal(secret.data[".dockerconfigjson"], "[secret: redacted; run with --show-secrets to see it]");
            }
        });
    }

    describe("the dev stack", () => {
        it('names the context that "the current context" resolves to on this machine', () => {
            const withLogin = home(DOCKER_CONFIG);
            const kubeconfig = path.join(withLogin, "kubeconfig");
            fs.writeFileSync(
                kubeconfig,
                YAML.stringify({
                    apiVersion: "v1",
                    kind: "Config",
                    "current-context": "prod-eu-west-1",
                    contexts: [{ name: "prod-eu-west-1" }],
                }),
            );
            const result = run("render", ["dev"], withLogin, { KUBECONFIG: kubeconfig });
            assert.equal(result.status, 0, result.stderr);
            assert.match(
                result.stdout,
                new RegExp(
                    `^# cluster: the current kubeconfig context, here "prod-eu-west-1" \\(from ${kubeconfig}\\)$`,
                    "m",
                ),
            );

            const none = run("render", ["dev"], withLogin);
            assert.match(
                none.stdout,
                /^# cluster: the current kubeconfig context, but this machine has no kubeconfig \(.*\.kube\/config does not exist\)$/m,
            );
        });

        it("writes a file that YAML readers take with the README's command, `npm run -s render -- dev > out.yaml`", () => {
            const withLogin = home(DOCKER_CONFIG);
            const viaNpm = spawnSync("npm", ["run", "-s", "render", "--", "dev"], {
                cwd: PROJECT_DIR,
                encoding: "utf8",
                env: { ...process.env, HOME: withLogin, KUBECONFIG: "" },
            });
            assert.equal(viaNpm.status, 0, viaNpm.stderr);
            assert.ok(viaNpm.stdout.startsWith("---\n# Rendered offline"), viaNpm.stdout.slice(0, 200));
            const parsed = YAML.parseAllDocuments(viaNpm.stdout);
            assert.ok(parsed.every((document) => document.errors.length === 0));
            assert.equal(parsed.length, documents(run("render", ["dev"], withLogin).stdout).length);
            assert.ok(
                fs
                    .readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8")
                    .includes("npm run -s render -- dev > dev.yaml"),
            );
        });

        it("redacts the docker login unless --show-secrets is given", () => {
            const withLogin = home(DOCKER_CONFIG);
            const redacted = run("render", ["dev"], withLogin);
            assert.equal(redacted.status, 0, redacted.stderr);
            const auth = Buffer.from(`me:${PASSWORD}`).toString("base64");
            for (const output of [redacted.stdout, redacted.stderr]) {
                assert.ok(
                    !output.includes(PASSWORD) &&
                        !output.includes(auth) &&
                        !output.includes(Buffer.from(DOCKER_CONFIG).toString("base64")),
                );
            }

            const shown = run("render", ["dev", "--show-secrets"], withLogin);
            assert.equal(shown.status, 0, shown.stderr);
            for (const secret of documents(shown.stdout).filter((d) => d.kind === "Secret")) {
                assert.equal(dockerConfigOf(secret), DOCKER_CONFIG);
            }
        });

        it("on a fresh machine shows a marked placeholder and says why", () => {
            const result = run("render", ["dev", "--show-secrets"]);
            assert.equal(result.status, 0, result.stderr);
            assert.match(
                result.stderr,
                /~\/\.docker\/config\.json does not exist on this machine.*run `docker login <registry>` first/,
            );
            const secret = documents(result.stdout).find((d) => d.kind === "Secret");
            assert.match(
                dockerConfigOf(secret),
                /\[not available offline: ~\/\.docker\/config\.json does not exist on this machine\]/,
            );
        });

        it("matches, resource for resource, what the program declares", async () => {
            const result = run("render", ["dev", "--show-secrets"], home(DOCKER_CONFIG));
            assert.equal(result.status, 0, result.stderr);
            const rendered = documents(result.stdout);

            // The same program, in this process, on the same config file and the same docker login.
            const program = await loadStackProgram();
            const project = projectName();
            const file = readStackFile(project, "dev");
            const config: ConfigSource = {
                project,
                stack: "dev",
                values: file.values,
                secretKeys: new Set(file.secretKeys),
            };
            const declared: Registration[] = await registered(() =>
                program
                    .declareStack(config, { readDockerConfig: () => ({ text: DOCKER_CONFIG }) })
                    .flatMap(({ credentials }) => [
                        ...Object.values(credentials.secrets),
                        credentials.serviceAccountEntries!,
                    ]),
            );
            const custom = declared.filter((r) => r.type.startsWith("kubernetes:core/v1:"));
            assert.equal(rendered.length, custom.length);
            // The field manager names project and stack: this process runs as the mocks' stack, render as dev.
            const asDev = (value: unknown) =>
                typeof value === "string"
                    ? value.replace(`regcred/${PROJECT}/${STACK}/`, `regcred/${project}/dev/`)
                    : value;
            const expected = custom.map((r) =>
                JSON.parse(
                    JSON.stringify(r.inputs, (_key, value) =>
                        isSecretWrapped(value) ? unwrapSecret(value) : asDev(value),
                    ),
                ),
            );
            // The engine answers registrations in no set order; render prints them cluster by cluster, namespace by namespace.
            const byIdentity = (a: any, b: any) => identity(a).localeCompare(identity(b));
            assert.deepEqual([...rendered].sort(byIdentity), expected.sort(byIdentity));
            assert.deepEqual(rendered.map(identity), ["Secret default/regcred", "Secret sandbox/regcred"]);

            // The service accounts render names are those the program's entries resource gets.
            const [entries] = declared.filter((r) => r.type.endsWith(":ServiceAccountEntries"));
            assert.deepEqual(Object.keys(entries.inputs.entries).sort(), [
                "default/default",
                "sandbox/ci-runner",
                "sandbox/default",
            ]);
            assert.match(result.stdout, /^# Added as one entry to the imagePullSecrets of service account default \(/m);
            assert.match(
                result.stdout,
                /^# Added as one entry to the imagePullSecrets of service accounts default, ci-runner \(/m,
            );
        });
    });

    it("gives each cluster a provider that updates Secrets in place, raises its client rate, and takes over a Secret it has no state for", async () => {
        const program = await loadStackProgram();
        const project = projectName();
        const file = readStackFile(project, "prod");
        const config: ConfigSource = {
            project,
            stack: "prod",
            values: file.values,
            secretKeys: new Set(file.secretKeys),
        };
        const declared = await registered(() => program.declareStack(config).map(({ provider }) => provider));
        const providers = declared.filter((r) => r.type === "pulumi:providers:kubernetes");
        assert.ok(providers.length >= 2, "prod targets several clusters");
        for (const provider of providers) {
            assert.equal(
                provider.inputs.enableSecretMutable,
                "true",
                `${provider.name} would replace Secrets on rotation`,
            );
            assert.ok(provider.inputs.context, `${provider.name} names its kubeconfig context`);
            // The client's rate, past its default 50 requests a second (BENCHMARKS.md, "Real engine").
            assert.deepEqual(JSON.parse(provider.inputs.kubeClientSettings), { qps: 1000, burst: 2000 });
            // After a killed up without checkpoints or a lost state, on pulumi-kubernetes 4.29 and later too.
            assert.equal(
                provider.inputs.upsertExistingObjects,
                "true",
                `${provider.name} would refuse a Secret it has no state for`,
            );
        }
    });

    it("tries no login with verifyLogins on: it sends nothing over the network, and says that preview does", async () => {
        // A registry that refuses every connection: a check would fail the render.
        const server = `127.0.0.1:${await closedPort()}`;
        const config = JSON.stringify({
            auths: { [server]: { auth: Buffer.from(`me:${PASSWORD}`).toString("base64") } },
        });
        const yaml = `config:\n  ${projectName()}:namespaces: [default]\n  ${projectName()}:dockerConfigPath: ~/.docker/config.json\n  ${projectName()}:verifyLogins: true\n`;
        withStackFile(yaml, (stack) => {
            const result = run("render", [stack, "--show-secrets"], home(config));
            assert.equal(result.status, 0, result.stderr);
            // A failed check would have left the Secret's data unknown.
            assert.equal(dockerConfigOf(documents(result.stdout).find((d) => d.kind === "Secret")), config);
            assert.match(result.stderr, /render does not try the logins \(verifyLogins\); `npm run preview` does/);
        });
    });

    it("stays offline with namespaceSelectors: renders the listed namespaces, shows the selectors and says preview resolves them", () => {
        const selectors = JSON.stringify([
            { matchLabels: { "pull-secrets": "ghcr" } },
            { matchExpressions: [{ key: "tier", operator: "In", values: ["web", "api"] }] },
        ]);
        const yaml = `config:\n  ${projectName()}:namespaces: [default]\n  ${projectName()}:namespaceSelectors: '${selectors}'\n  ${projectName()}:dockerConfigPath: ~/.docker/config.json\n`;
        withStackFile(yaml, (stack) => {
            const result = run("render", [stack], home(JSON.stringify({ auths: { "ghcr.io": { auth: "dTpw" } } })));
            assert.equal(result.status, 0, result.stderr);
            assert.deepEqual(
                documents(result.stdout).map((d) => identity(d)),
                ["Secret default/regcred"],
            );
            assert.match(
                result.stderr,
                /warning: namespaceSelectors: "pull-secrets=ghcr" or "tier in \(web,api\)"\. The namespaces they choose are resolved live, against each cluster, at `npm run preview` and `up`/,
            );
        });
    });

    it("summarises 2,000 namespaces in one short line, counting the namespaces that share a list of service accounts", () => {
        const namespaces = Array.from({ length: 2000 }, (_, i) => `team-${i}`);
        const list = [
            ...namespaces.map((name) => `    - ${name}`),
            "    - name: builds",
            "      serviceAccounts: [default, ci]",
        ];
        const yaml = `config:\n  ${projectName()}:dockerConfigPath: ~/.docker/config.json\n  ${projectName()}:namespaces:\n${list.join("\n")}\n`;
        withStackFile(yaml, (stack) => {
            const result = run("render", [stack], home(JSON.stringify({ auths: { "ghcr.io": { auth: "dTpw" } } })));
            assert.equal(result.status, 0, result.stderr);
            const line = result.stderr.split("\n").find((text) => text.startsWith(`stack ${stack}:`)) ?? "";
            assert.equal(
                line,
                `stack ${stack}: 1 cluster × 2,001 namespaces = 2,001 Secrets, and 2,002 service account entries` +
                    " (service accounts: [default] in 2,000 namespaces; [default, ci] in builds)",
            );
        });
    });

    it("warns of a cluster whose context the kubeconfig lacks, and says it asked no cluster", () => {
        const result = run("render", ["prod"]);
        assert.equal(result.status, 0, result.stderr);
        for (const context of ["prod-eu-west-1", "prod-us-east-1"]) {
            assert.match(
                result.stderr,
                new RegExp(
                    `has no context named "${context}": \`npm run preview\` and \`up\` would reach no cluster for it`,
                ),
            );
        }
        assert.match(
            result.stderr,
            /render is offline: it did not ask any cluster whether the namespaces exist; `npm run preview` does\./,
        );
    });

    it("replaces secure values, which it cannot decrypt, with a marked placeholder", () => {
        const result = run("render", ["staging", "--show-secrets"]);
        assert.equal(result.status, 0, result.stderr);
        const config = JSON.parse(dockerConfigOf(documents(result.stdout).find((d) => d.kind === "Secret")));
        assert.equal(
            config.auths["ghcr.io"].password,
            "[not available offline: secure value registries[0].password, encrypted in the stack file]",
        );
        assert.match(
            result.stderr,
            /registries\[0\]\.password still holds the template placeholder.*pulumi config set --secret --path 'registries\[0\]\.password' --stack staging/,
        );
    });

    describe("fails with the error `npm run up` gives", () => {
        it("for an unknown stack", () => {
            const rendered = run("render", ["nope"]);
            const deployed = run("deploy", ["up", "nope"]);
            assert.equal(rendered.status, 1);
            assert.equal(deployed.status, 1);
            assert.ok(
                rendered.stderr.startsWith(
                    `error: No stack named "nope": stacks/Pulumi.nope.yaml does not exist. The stacks are: ${knownStacks().join(", ")}.`,
                ),
                rendered.stderr,
            );
            assert.ok(knownStacks().includes("dev"));
            // The copy it suggests is the one the README's "Add an environment" makes.
            assert.match(rendered.stderr, /copy stacks\/Pulumi\.staging\.yaml to stacks\/Pulumi\.nope\.yaml/);
            assert.ok(
                fs
                    .readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8")
                    .includes("cp stacks/Pulumi.staging.yaml stacks/Pulumi.qa.yaml"),
            );
            assert.equal(rendered.stderr, deployed.stderr);
            assert.equal(rendered.stdout, "");
        });

        const header = "config:\n  registry-credentials:dockerConfigPath: ~/.docker/config.json\n";
        for (const [problem, yaml, expected] of [
            [
                "a misspelt key",
                `${header}  registry-credentials:namespace: [default]\n`,
                /registry-credentials:namespace: is not a setting of this project; did you mean "namespaces"\?/,
            ],
            [
                "a missing password",
                "config:\n  registry-credentials:namespaces: [default]\n  registry-credentials:registries:\n    - server: ghcr.io\n      username: bot\n",
                /registry-credentials:registries\[0\]\.password: is not set\. Set it, encrypted, with: pulumi config set --secret --path 'registries\[0\]\.password' --stack render-test-/,
            ],
            [
                "a bad namespace",
                `${header}  registry-credentials:namespaces: [default, Team_B]\n`,
                /registry-credentials:namespaces\[1\]: "Team_B" is not a valid namespace name/,
            ],
        ] as const) {
            it(`for ${problem}, naming the key and the fix`, async () => {
                const { declareStack } = await loadStackProgram();
                withStackFile(yaml, (stack) => {
                    const result = run("render", [stack], home(DOCKER_CONFIG));
                    assert.equal(result.status, 1);
                    assert.equal(result.stdout, "");
                    assert.match(result.stderr, expected);
                    assert.match(
                        result.stderr,
                        new RegExp(
                            `^error: Stack "${stack}" has (a configuration problem|\\d+ configuration problems) \\(config in stacks/Pulumi\\.${stack}\\.yaml\\):\n`,
                        ),
                    );

                    // What the program itself throws on this config: what `pulumi up` would print.
                    const file = readStackFile(projectName(), stack);
                    const config: ConfigSource = {
                        project: projectName(),
                        stack,
                        values: file.values,
                        secretKeys: new Set(file.secretKeys),
                    };
                    assert.throws(
                        () => declareStack(config, { readDockerConfig: () => ({ text: DOCKER_CONFIG }) }),
                        (error: Error) => result.stderr === `error: ${error.message}\n`,
                    );
                });
            });
        }
    });

    it("rejects a missing stack name or an unknown option with its usage", () => {
        for (const args of [[], ["dev", "--show-secret"]]) {
            const result = run("render", args);
            assert.equal(result.status, 2);
            assert.match(result.stderr, /usage: npm run render -- <stack> \[--show-secrets\]/);
        }
    });
});
