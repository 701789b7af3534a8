import { strict as assert } from "assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    PROJECT,
    Registration,
    STACK,
    componentOutputs,
    isSecretWrapped,
    loadComponents,
    registered,
    unwrapSecret,
    valueOf,
} from "./mocks";
import { KUBECONFIG_FIXTURE } from "./mocks";

type Library = Awaited<ReturnType<typeof loadComponents>>;
type Args = import("../components").RegistryCredentialsArgs;
type Component = import("../components").RegistryCredentials;

const SECRET = "kubernetes:core/v1:Secret";
const ENTRIES = "pulumi-nodejs:dynamic/registry-credentials:ServiceAccountEntries";
const POLICY = "kubernetes:admissionregistration.k8s.io/v1:MutatingAdmissionPolicy";
const BINDING = "kubernetes:admissionregistration.k8s.io/v1:MutatingAdmissionPolicyBinding";
const COMPONENT = "registry-credentials:index:RegistryCredentials";

const PASSWORD = "s3cret<P@ss>&word";
const robot = { server: "ghcr.io", username: "robot", password: PASSWORD };
/** kubectl's bytes for `robot`, written out by hand. */
const ROBOT_CONFIG =
    '{"auths":{"ghcr.io":{"username":"robot","password":"s3cret\\u003cP@ss\\u003e\\u0026word","auth":"' +
    Buffer.from(`robot:${PASSWORD}`).toString("base64") +
    '"}}}';

let lib: Library;
before(async () => {
    lib = await loadComponents();
});

async function declare(name: string, args: Args, opts?: pulumi.ComponentResourceOptions) {
    let component!: Component;
    const registrations = await registered(() => {
        component = new lib.RegistryCredentials(name, args, opts);
        const policy = component.admissionPolicy;
        return [
            component,
            ...Object.values(component.secrets),
            ...(component.serviceAccountEntries ? [component.serviceAccountEntries] : []),
            ...(policy ? [policy.policy, policy.binding] : []),
        ];
    });
    return { component, registrations, ...split(registrations) };
}

function split(registrations: Registration[]) {
    return {
        secrets: registrations.filter((r) => r.type === SECRET),
        entries: registrations.filter((r) => r.type === ENTRIES),
        policies: registrations.filter((r) => r.type === POLICY || r.type === BINDING),
        self: registrations.find((r) => r.type === COMPONENT)!,
    };
}

function secretData(secret: Registration): string {
    const data = unwrapSecret(secret.inputs.data);
    return Buffer.from(unwrapSecret(data[".dockerconfigjson"]), "base64").toString("utf8");
}

/** The inputs as JSON, with every secret-wrapped value blanked out: what would be plaintext in state. */
function plaintext(value: unknown): string {
    return JSON.stringify(value, (_key, v) => (isSecretWrapped(v) ? "[secret]" : v));
}

describe("RegistryCredentials", () => {
    describe("what it declares", () => {
        it("declares one dockerconfigjson Secret per namespace with kubectl's bytes", async () => {
            const { secrets, self } = await declare("regcred", {
                registries: [robot],
                namespaces: ["team-a", "team-b"],
            });

            // Deleted with background propagation, as kubectl deletes, not the provider's foreground default;
            // applied as the component's own field manager, not one the provider makes up per resource.
            const annotations = {
                "pulumi.com/deletionPropagationPolicy": "background",
                "pulumi.com/patchFieldManager": `regcred/${PROJECT}/${STACK}/regcred`,
            };
            assert.deepEqual(
                secrets.map((s) => s.inputs.metadata),
                [
                    { name: "regcred", namespace: "team-a", annotations },
                    { name: "regcred", namespace: "team-b", annotations },
                ],
            );
            for (const secret of secrets) {
                assert.equal(secret.inputs.type, "kubernetes.io/dockerconfigjson");
                assert.equal(secretData(secret), ROBOT_CONFIG);
                assert.equal(secret.parent, self.urn);
            }
        });

        it("adds the Secret to each namespace's default service account, through one entries resource", async () => {
            const { component, entries } = await declare("regcred", {
                registries: [robot],
                namespaces: ["team-a", "team-b"],
            });

            assert.deepEqual(component.serviceAccounts, ["team-a/default", "team-b/default"]);
            assert.equal(entries.length, 1);
            assert.equal(entries[0].name, "regcred/service-accounts");
            assert.deepEqual(entries[0].inputs.entries, { "team-a/default": "regcred", "team-b/default": "regcred" });
            assert.equal(entries[0].inputs.waitSeconds, 60);
        });

        it("uses a namespace's own service accounts in place of the component's, and none for []", async () => {
            const { component, entries } = await declare("regcred", {
                registries: [robot],
                serviceAccounts: ["default", "builder"],
                namespaces: [
                    "team-a",
                    { name: "team-b", serviceAccounts: ["ci"] },
                    { name: "team-c", serviceAccounts: [] },
                ],
                serviceAccountWaitSeconds: 5,
            });

            assert.deepEqual(Object.keys(component.secrets), ["team-a", "team-b", "team-c"]);
            assert.deepEqual(Object.keys(entries[0].inputs.entries).sort(), [
                "team-a/builder",
                "team-a/default",
                "team-b/ci",
            ]);
            assert.equal(entries[0].inputs.waitSeconds, 5);
        });

        it("declares secrets only when serviceAccounts is []", async () => {
            const { secrets, entries } = await declare("regcred", {
                registries: [robot],
                namespaces: ["team-a"],
                serviceAccounts: [],
            });
            assert.equal(secrets.length, 1);
            assert.equal(entries.length, 0);
        });

        it("in admission-policy mode, declares a policy and a binding selecting the namespaces, and touches no service account", async () => {
            const { component, entries, policies } = await declare("regcred", {
                registries: [robot],
                namespaces: ["team-b", "team-a"],
                attach: "admissionPolicy",
            });
            assert.equal(entries.length, 0);
            assert.deepEqual(component.serviceAccounts, []);
            const [policy, binding] = policies;
            assert.equal(policy.inputs.kind, "MutatingAdmissionPolicy");
            assert.equal(binding.inputs.spec.policyName, policy.inputs.metadata.name);
            assert.deepEqual(binding.inputs.spec.matchResources.namespaceSelector.matchExpressions, [
                { key: "kubernetes.io/metadata.name", operator: "In", values: ["team-a", "team-b"] },
            ]);
            assert.match(policy.inputs.spec.mutations[0].jsonPatch.expression, /name: "regcred"/);
        });

        it("names the Secret secretName when given, and after the component otherwise", async () => {
            const named = await declare("creds", {
                registries: [robot],
                namespaces: ["team-a"],
                secretName: "ghcr-pull",
            });
            assert.equal(named.secrets[0].inputs.metadata.name, "ghcr-pull");
            assert.deepEqual(named.entries[0].inputs.entries, { "team-a/default": "ghcr-pull" });
            assert.equal(named.component.secretName, "ghcr-pull");

            const unnamed = await declare("creds", { registries: [robot], namespaces: ["team-a"] });
            assert.equal(unnamed.secrets[0].inputs.metadata.name, "creds");
        });

        it("puts several registries into one secret, in an order independent of the list", async () => {
            const hub = { username: "hubuser", password: "hubpass" };
            const harbor = { server: "harbor.example.com", username: "bot", password: "pw", email: "bot@example.com" };
            const one = await declare("multi", { registries: [robot, hub, harbor], namespaces: ["team-a"] });
            const other = await declare("multi", { registries: [harbor, robot, hub], namespaces: ["team-a"] });

            const config = JSON.parse(secretData(one.secrets[0]));
            assert.deepEqual(Object.keys(config.auths), [
                "ghcr.io",
                "harbor.example.com",
                "https://index.docker.io/v1/",
            ]);
            assert.equal(config.auths["harbor.example.com"].email, "bot@example.com");
            assert.equal(secretData(other.secrets[0]), secretData(one.secrets[0]));
        });

        it("stores a given dockerConfigJson as it is", async () => {
            const text =
                '{\n  "auths": {\n    "ghcr.io": { "auth": "' +
                Buffer.from("robot:pw").toString("base64") +
                '" }\n  }\n}\n';
            const { secrets, component } = await declare("fromfile", {
                dockerConfigJson: text,
                namespaces: ["team-a"],
            });
            assert.equal(secretData(secrets[0]), text);
            assert.equal(await valueOf(component.dockerConfigJson), text);
        });
    });

    describe("a diffable rollout", () => {
        it("names children from the component and namespace only", async () => {
            const names = async (namespaces: string[]) =>
                (await declare("regcred", { registries: [robot], namespaces })).registrations
                    .filter((r) => r.custom)
                    .map((r) => r.name)
                    .sort();

            const before = await names(["team-a", "team-b", "team-c"]);
            const after = await names(["team-d", "team-c", "team-a"]);

            assert.deepEqual(before, [
                "regcred/service-accounts",
                "regcred/team-a",
                "regcred/team-b",
                "regcred/team-c",
            ]);
            for (const kept of before.filter((name) => name !== "regcred/team-b")) {
                assert.ok(after.includes(kept), `${kept} keeps its name`);
            }
        });

        it("keeps namespace a-b with account c apart from namespace a with account b-c", async () => {
            const { entries } = await declare("regcred", {
                registries: [robot],
                namespaces: [
                    { name: "a-b", serviceAccounts: ["c"] },
                    { name: "a", serviceAccounts: ["b-c"] },
                ],
            });
            assert.deepEqual(Object.keys(entries[0].inputs.entries).sort(), ["a-b/c", "a/b-c"]);
        });

        it("adding a namespace changes the entries resource's inputs by that namespace's accounts alone", async () => {
            const before = await declare("regcred", {
                registries: [robot],
                namespaces: ["team-a", "team-b"],
                serviceAccounts: ["default", "ci"],
            });
            const after = await declare("regcred", {
                registries: [robot],
                namespaces: ["team-a", "team-c", "team-b"],
                serviceAccounts: ["default", "ci"],
            });
            const added = Object.keys(after.entries[0].inputs.entries).filter(
                (key) => !(key in before.entries[0].inputs.entries),
            );
            assert.deepEqual(added.sort(), ["team-c/ci", "team-c/default"]);
            assert.equal(Object.keys(after.entries[0].inputs.entries).length, 6);
        });

        it("rotating a password changes only the Secret data", async () => {
            const before = await declare("regcred", { registries: [robot], namespaces: ["team-a", "team-b"] });
            const after = await declare("regcred", {
                registries: [{ ...robot, password: "rotated" }],
                namespaces: ["team-a", "team-b"],
            });

            assert.deepEqual(after.entries[0].inputs.entries, before.entries[0].inputs.entries);
            assert.deepEqual(
                after.secrets.map((s) => s.urn),
                before.secrets.map((s) => s.urn),
            );
            after.secrets.forEach((secret, i) => {
                const { data: newData, ...rest } = secret.inputs;
                const { data: oldData, ...oldRest } = before.secrets[i].inputs;
                assert.deepEqual(rest, oldRest);
                assert.notDeepEqual(newData, oldData);
                assert.equal(JSON.parse(secretData(secret)).auths["ghcr.io"].password, "rotated");
            });
        });
    });

    describe("secrecy", () => {
        for (const [kind, password] of [
            ["a plain string", PASSWORD],
            ["a secret", pulumi.secret(PASSWORD)],
            ["a plain Output", pulumi.output(PASSWORD)],
        ] as const) {
            it(`keeps credentials secret everywhere when the password is ${kind}`, async () => {
                const { registrations, secrets, self, component } = await declare("regcred", {
                    registries: [{ ...robot, password }],
                    namespaces: ["team-a"],
                });
                const forbidden = [
                    PASSWORD,
                    Buffer.from(`robot:${PASSWORD}`).toString("base64"),
                    Buffer.from(ROBOT_CONFIG).toString("base64"),
                    "s3cret\\u003c",
                ];

                for (const registration of registrations) {
                    const visible = plaintext(registration.inputs);
                    for (const value of forbidden) {
                        assert.ok(!visible.includes(value), `${registration.name} shows ${value} in plaintext`);
                    }
                }
                assert.ok(
                    isSecretWrapped(secrets[0].inputs.data[".dockerconfigjson"]) ||
                        isSecretWrapped(secrets[0].inputs.data),
                );
                assert.ok(
                    isSecretWrapped(self.inputs.registries) || isSecretWrapped(self.inputs.registries[0].password),
                );
                assert.ok(await pulumi.isSecret(component.dockerConfigJson));
                assert.equal(await valueOf(component.dockerConfigJson), ROBOT_CONFIG);

                const outputs = componentOutputs.get(self.urn)!;
                assert.ok(isSecretWrapped(outputs.dockerConfigJson));
                assert.ok(!plaintext(outputs).includes(PASSWORD));
            });
        }

        it("keeps a dockerConfigJson secret in the component's inputs and outputs", async () => {
            const text = JSON.stringify({
                auths: { "ghcr.io": { auth: Buffer.from(`robot:${PASSWORD}`).toString("base64") } },
            });
            const { registrations, self } = await declare("fromfile", {
                dockerConfigJson: text,
                namespaces: ["team-a"],
            });
            for (const registration of registrations) {
                assert.ok(
                    !plaintext(registration.inputs).includes(text.slice(10, 40)),
                    `${registration.name} shows the config`,
                );
            }
            assert.ok(isSecretWrapped(self.inputs.dockerConfigJson));
            assert.ok(isSecretWrapped(componentOutputs.get(self.urn)!.dockerConfigJson));
        });
    });

    describe("options and dependencies", () => {
        it("the Secrets take the caller's provider, and the entries resource its connection", async () => {
            const provider = new k8s.Provider("cluster-a", { context: "cluster-a", kubeconfig: KUBECONFIG_FIXTURE });
            const { secrets, entries } = await declare(
                "regcred",
                { registries: [robot], namespaces: ["team-a"] },
                { provider },
            );
            const providerUrn = await valueOf(provider.urn);
            for (const child of secrets) {
                assert.ok(child.provider.startsWith(`${providerUrn}::`), `${child.name} uses ${child.provider}`);
            }
            const connection = unwrapSecret(entries[0].inputs.connection);
            assert.equal(connection.server, "https://cluster-a.example.com:6443");
            assert.equal(connection.token, "token-of-cluster-a");
        });

        it("the entries resource depends on every Secret", async () => {
            const { secrets, entries } = await declare("regcred", {
                registries: [robot],
                namespaces: [{ name: "team-a", serviceAccounts: ["default", "ci"] }, "team-b"],
            });
            assert.deepEqual([...entries[0].dependencies].sort(), secrets.map((secret) => secret.urn).sort());
        });

        it("a workload with dependsOn: [component] waits for every secret and the entries", async () => {
            const { component, registrations } = await declare("regcred", {
                registries: [robot],
                namespaces: ["team-a", "team-b"],
            });
            const [workload] = await registered(() => [
                new k8s.apps.v1.Deployment("app", { spec: { selector: {}, template: {} } }, { dependsOn: [component] }),
            ]);
            const children = registrations.filter((r) => r.custom).map((r) => r.urn);
            assert.equal(children.length, 3);
            assert.deepEqual([...workload.dependencies].sort(), [...children].sort());
        });
    });

    describe("rotation in place", () => {
        let warnings: string[];
        const warn = pulumi.log.warn;
        beforeEach(() => {
            warnings = [];
            pulumi.log.warn = async (message: string) => void warnings.push(message);
        });
        afterEach(() => {
            pulumi.log.warn = warn;
            pulumi.runtime.setConfig("kubernetes:enableSecretMutable", "true");
        });

        it("warns when the default provider would replace Secrets on rotation, and says how to fix it", async () => {
            pulumi.runtime.setConfig("kubernetes:enableSecretMutable", "false");
            await declare("regcred", { registries: [robot], namespaces: ["team-a"] });
            assert.equal(warnings.length, 1);
            assert.ok(warnings[0].includes("pulumi config set kubernetes:enableSecretMutable true"));
        });

        it("does not warn when the default provider updates Secrets in place", async () => {
            await declare("regcred", { registries: [robot], namespaces: ["team-a"] });
            assert.deepEqual(warnings, []);
        });

        it("does not guess about an explicit provider's settings", async () => {
            pulumi.runtime.setConfig("kubernetes:enableSecretMutable", "false");
            const provider = new k8s.Provider("cluster-b", { context: "cluster-b", enableSecretMutable: true });
            await declare("regcred", { registries: [robot], namespaces: ["team-a"] }, { provider });
            assert.deepEqual(warnings, []);
        });
    });

    describe("who owns imagePullSecrets", () => {
        it("records one field manager per component, named after project, stack and component", async () => {
            const { entries, component } = await declare("ghcr", {
                registries: [robot],
                namespaces: ["team-a", "team-b"],
            });
            const expected = `regcred/${PROJECT}/${STACK}/ghcr`;
            assert.equal(component.fieldManager, expected);
            assert.equal(entries[0].inputs.fieldManager, expected);
            const other = await declare("harbor", { registries: [robot], namespaces: ["team-a"] });
            assert.notEqual(other.entries[0].inputs.fieldManager, expected);
        });

        it("ignores the deprecated keepImagePullSecrets and takeOwnership, saying so once each", async () => {
            const warnings: string[] = [];
            const warn = pulumi.log.warn;
            pulumi.log.warn = async (message: string) => void warnings.push(message);
            try {
                const { entries } = await declare("regcred", {
                    registries: [robot],
                    namespaces: [
                        "team-a",
                        { name: "team-b", keepImagePullSecrets: ["default-dockercfg-x7k2p"], takeOwnership: false },
                    ],
                    keepImagePullSecrets: ["legacy-pull"],
                    takeOwnership: true,
                });
                assert.deepEqual(entries[0].inputs.entries, {
                    "team-a/default": "regcred",
                    "team-b/default": "regcred",
                });
            } finally {
                pulumi.log.warn = warn;
            }
            assert.equal(warnings.filter((w) => w.startsWith("takeOwnership is deprecated and ignored")).length, 1);
            assert.equal(
                warnings.filter((w) => w.startsWith("keepImagePullSecrets is deprecated and ignored")).length,
                1,
            );
        });
    });
});
