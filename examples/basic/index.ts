/**
 * A minimal program that uses pulumi-registry-credentials: a pull secret for
 * ghcr.io in two namespaces, and a Deployment that waits for it.
 *
 *     pulumi config set registryUsername acme-bot
 *     pulumi config set --secret registryPassword ghp_…
 *     pulumi up
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RegistryCredentials, RegistryCredentialsArgs } from "pulumi-registry-credentials";

const config = new pulumi.Config();

// enableSecretMutable: a password rotation then updates each Secret in place
// instead of deleting and re-creating it.
const provider = new k8s.Provider("cluster", { enableSecretMutable: true });

const namespaces = ["shop", "search"].map(
    (name) => new k8s.core.v1.Namespace(name, { metadata: { name } }, { provider }),
);

const args: RegistryCredentialsArgs = {
    registries: [
        {
            server: "ghcr.io",
            username: config.require("registryUsername"),
            // Read as a secret: it stays one in the component's state, its Secrets and its outputs.
            password: config.requireSecret("registryPassword"),
        },
    ],
    namespaces: ["shop", "search"],
    secretName: "ghcr-pull",
};

// Every child takes the provider; dependsOn the namespaces, which must exist first.
const credentials = new RegistryCredentials("ghcr-pull", args, { provider, dependsOn: namespaces });

// dependsOn the component waits for every Secret and service account entry in it,
// so the first Pod never starts without its pull secret.
new k8s.apps.v1.Deployment(
    "web",
    {
        metadata: { namespace: "shop" },
        spec: {
            selector: { matchLabels: { app: "web" } },
            template: {
                metadata: { labels: { app: "web" } },
                spec: { containers: [{ name: "web", image: "ghcr.io/acme/web:1.0.0" }] },
            },
        },
    },
    { provider, dependsOn: [credentials] },
);

export const pullSecretName = credentials.secretName;
