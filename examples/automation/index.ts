/**
 * pulumi-registry-credentials from a program of your own, driven by Pulumi's
 * Automation API: no Pulumi project files, no language plugin. The program
 * runs in this process, which is how to use the component on a machine
 * without the Node language host, or from a pipeline written in TypeScript.
 *
 *     npm install
 *     export PULUMI_CONFIG_PASSPHRASE=…      # encrypts the password in the state
 *     export REGISTRY_USERNAME=acme-bot REGISTRY_PASSWORD=ghp_…   # and REGISTRY_SERVER (default ghcr.io)
 *     npx ts-node index.ts preview team-a team-b
 *     npx ts-node index.ts up team-a team-b
 *     npx ts-node index.ts destroy
 *
 * The state is kept in ./state, and the Automation API writes Pulumi.yaml
 * and Pulumi.example.yaml here; the cluster is your kubeconfig's current
 * context. The namespaces must exist.
 */
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { RegistryCredentials } from "pulumi-registry-credentials";

async function main(command: string, namespaces: string[]): Promise<number> {
    const username = process.env.REGISTRY_USERNAME;
    const password = process.env.REGISTRY_PASSWORD;
    if (username === undefined || password === undefined) {
        console.error("set REGISTRY_USERNAME and REGISTRY_PASSWORD");
        return 2;
    }

    const program = async () => {
        // upsertExistingObjects: a Secret left by a killed `up` is taken over (pulumi-kubernetes 4.29 and later
        // refuse it otherwise); enableSecretMutable: a new password updates each Secret in place.
        const provider = new k8s.Provider("cluster", { upsertExistingObjects: true, enableSecretMutable: true });
        const credentials = new RegistryCredentials(
            "regcred",
            {
                registries: [
                    { server: process.env.REGISTRY_SERVER ?? "ghcr.io", username, password: pulumi.secret(password) },
                ],
                namespaces,
            },
            { provider },
        );
        return { secretName: credentials.secretName, failures: credentials.failures };
    };

    const stateDir = path.join(__dirname, "state");
    fs.mkdirSync(stateDir, { recursive: true });
    const stack = await LocalWorkspace.createOrSelectStack(
        { projectName: "registry-credentials-automation", stackName: "example", program },
        {
            // This folder: Pulumi's plugin for the component's dynamic resource loads @pulumi/pulumi from node_modules here.
            workDir: __dirname,
            projectSettings: {
                name: "registry-credentials-automation",
                runtime: "nodejs",
                backend: { url: `file://${stateDir}` },
            },
        },
    );
    const onOutput = (text: string) => process.stdout.write(text);
    try {
        if (command === "preview") {
            await stack.preview({ onOutput });
        } else if (command === "up") {
            // continueOnError: a namespace that fails (being deleted, refused by a webhook) holds back no other.
            const result = await stack.up({ onOutput, continueOnError: true });
            console.log(`secret ${result.outputs.secretName.value} in: ${namespaces.join(", ")}`);
        } else if (command === "destroy") {
            await stack.destroy({ onOutput, continueOnError: true });
        } else {
            console.error("usage: ts-node index.ts preview|up|destroy [namespace...]");
            return 2;
        }
        return 0;
    } catch {
        // The CLI has printed what went wrong. After an up, name what did not land: the component's failures.
        const outputs = await stack.outputs().catch(() => ({}) as Record<string, { value: unknown }>);
        const failures = (outputs.failures?.value ?? {}) as Record<string, string>;
        for (const [where, why] of Object.entries(failures)) {
            console.error(`not rolled out: ${where}: ${why}`);
        }
        return 1;
    }
}

void main(process.argv[2] ?? "", process.argv.slice(3)).then((code) => (process.exitCode = code));
