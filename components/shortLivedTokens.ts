/**
 * Logins that expire within hours, said honestly. A pull Secret is written
 * once per `up`; Amazon ECR's tokens last 12 hours, Google's OAuth access
 * tokens one, and `az acr login --expose-token` three, so such a Secret is
 * stale the next day and Pods fail to pull. The answer is at the node, not
 * in a refresher: each warning names it.
 *
 * Long-lived logins to the same registries are not warned about: a Google
 * service-account key (`_json_key`, `_json_key_base64`) and an Azure
 * service principal, admin user or repository token (any user name but the
 * all-zero GUID that `az acr login --expose-token` gives).
 */

/** A login as far as this module looks at it: never the password. */
export interface LoginIdentity {
    readonly server: string;
    readonly username: string;
}

const ECR = /^(https?:\/\/)?\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?(\/|$)/;
const GOOGLE = /^(https?:\/\/)?([a-z0-9-]+-docker\.pkg\.dev|([a-z]+\.)?gcr\.io)(\/|$)/;
const AZURE = /^(https?:\/\/)?[a-z0-9-]+\.azurecr\.(io|cn|us)(\/|$)/;
const AZURE_TOKEN_USER = "00000000-0000-0000-0000-000000000000";
const EXTERNAL_SECRETS =
    'or an External Secrets generator that refreshes a Secret on a schedule (docs/security.md, "Short-lived registry tokens")';

/** One warning per login that expires within hours, naming the server and the node-level answer. */
export function shortLivedWarnings(logins: readonly LoginIdentity[]): string[] {
    return logins.flatMap(({ server, username }) => {
        if (ECR.test(server)) {
            return [
                `${server} is Amazon ECR, whose tokens last 12 hours: the pull Secret will be stale by tomorrow. ` +
                    `On EKS, let the kubelet fetch tokens itself (the ECR credential provider, with the nodes' IAM role), ${EXTERNAL_SECRETS}.`,
            ];
        }
        if (GOOGLE.test(server) && !username.startsWith("_json_key")) {
            return [
                `${server} is Google Artifact Registry or Container Registry, and ${username === "oauth2accesstoken" ? "an OAuth access token lasts one hour" : "this login is not a service-account key (_json_key), so it is probably a short-lived token"}: the pull Secret will go stale. ` +
                    `On GKE, give the nodes' service account roles/artifactregistry.reader, ${EXTERNAL_SECRETS}.`,
            ];
        }
        if (AZURE.test(server) && username === AZURE_TOKEN_USER) {
            return [
                `${server} is Azure Container Registry, and this login is an \`az acr login --expose-token\` token, which lasts 3 hours: the pull Secret will go stale. ` +
                    `On AKS, attach the registry to the cluster (\`az aks update --attach-acr\`), or use a service principal or repository token, ${EXTERNAL_SECRETS}.`,
            ];
        }
        return [];
    });
}
