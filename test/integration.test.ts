/**
 * Deploys the dev stack's config to a real cluster with the Automation API,
 * checks the result through the Kubernetes API, and destroys it again.
 *
 * It needs the pulumi CLI, kubectl, and KUBECONFIG pointing at a cluster that
 * answers; otherwise it is reported as pending, with the reason. It works on
 * a copy of the dev stack (stacks/Pulumi.it-dev-<pid>.yaml, removed after),
 * so that the committed stacks/Pulumi.dev.yaml and any real dev stack are untouched.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { PROJECT_DIR } from "../stacks/stackFiles";

const STACK = `it-dev-${process.pid}`;
const STACK_FILE = path.join(PROJECT_DIR, "stacks", `Pulumi.${STACK}.yaml`);
const DOCKER_CONFIG = JSON.stringify({ auths: { "registry.example.com": { auth: Buffer.from("it-user:it-token").toString("base64") } } });

/** Why the test cannot run here, or undefined when it can. */
function missingPrerequisite(): string | undefined {
    if (spawnSync("pulumi", ["version"]).error) {
        return "no pulumi CLI on PATH";
    }
    if (!process.env.KUBECONFIG) {
        return "KUBECONFIG is not set";
    }
    const probe = spawnSync("kubectl", ["cluster-info", "--request-timeout=5s"]);
    if (probe.error) {
        return "no kubectl on PATH";
    }
    return probe.status === 0 ? undefined : `the cluster in KUBECONFIG does not answer (kubectl cluster-info exited ${probe.status})`;
}

function kubectl(...args: string[]): { status: number | null; stdout: string } {
    const result = spawnSync("kubectl", [...args, "--request-timeout=20s"], { encoding: "utf8" });
    return { status: result.status, stdout: result.stdout };
}

function getJson(...args: string[]): any {
    const result = kubectl("get", ...args, "-o", "json");
    assert.equal(result.status, 0, `kubectl get ${args.join(" ")} failed`);
    return JSON.parse(result.stdout);
}

describe("the dev stack on a real cluster (Automation API)", function () {
    this.timeout(15 * 60 * 1000);

    it("deploys the Secret and the service account patches, then destroys them", async function () {
        const reason = missingPrerequisite();
        if (reason !== undefined) {
            console.log(`      pending: ${reason}; this test needs the pulumi CLI, kubectl and a reachable cluster in KUBECONFIG`);
            this.skip();
        }

        const created: string[][] = [];
        const ensure = (...object: string[]) => {
            if (kubectl("get", ...object).status !== 0) {
                assert.equal(kubectl("create", ...object).status, 0, `kubectl create ${object.join(" ")}`);
                created.unshift(object);
            }
        };
        // The dev config's namespaces and service accounts; patches need them to exist.
        ensure("namespace", "sandbox");
        ensure("serviceaccount", "ci-runner", "-n", "sandbox");

        const dockerConfigFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "it-docker-")), "config.json");
        fs.writeFileSync(dockerConfigFile, DOCKER_CONFIG);
        fs.copyFileSync(path.join(PROJECT_DIR, "stacks", "Pulumi.dev.yaml"), STACK_FILE);

        let stack: Stack | undefined;
        try {
            stack = await LocalWorkspace.createOrSelectStack(
                { stackName: STACK, workDir: PROJECT_DIR },
                { envVars: { PULUMI_CONFIG_PASSPHRASE: "integration-test-only" } },
            );
            await stack.setConfig("dockerConfigPath", { value: dockerConfigFile });
            await stack.up({ onOutput: (out) => process.stdout.write(out) });

            for (const namespace of ["default", "sandbox"]) {
                const secret = getJson("secret", "regcred", "-n", namespace);
                assert.equal(secret.type, "kubernetes.io/dockerconfigjson");
                assert.equal(Buffer.from(secret.data[".dockerconfigjson"], "base64").toString("utf8"), DOCKER_CONFIG);
            }
            for (const [namespace, account] of [["default", "default"], ["sandbox", "default"], ["sandbox", "ci-runner"]]) {
                const names = (getJson("serviceaccount", account, "-n", namespace).imagePullSecrets ?? []).map((entry: any) => entry.name);
                assert.ok(names.includes("regcred"), `${namespace}/${account} lists ${names}`);
            }

            await stack.destroy({ onOutput: (out) => process.stdout.write(out) });
            for (const namespace of ["default", "sandbox"]) {
                assert.notEqual(kubectl("get", "secret", "regcred", "-n", namespace).status, 0, `the secret in ${namespace} is gone`);
            }
        } finally {
            await stack?.workspace.removeStack(STACK, { force: true }).catch(() => undefined);
            fs.rmSync(STACK_FILE, { force: true });
            for (const object of created) {
                kubectl("delete", ...object);
            }
        }
    });
});
