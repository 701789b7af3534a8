/**
 * Compiled with `tsc --strict` against the installed package by
 * test/consumer.test.ts: every public export is importable, and the types
 * are real types, not `any` (the @ts-expect-error lines fail to compile if
 * they are).
 */
import {
    DOCKER_HUB_SERVER,
    NamespaceTarget,
    REGISTRY_CREDENTIALS_TYPE,
    RegistryCredentials,
    RegistryCredentialsArgs,
    RegistryLogin,
    ResolvedLogin,
    encodeDockerConfig,
} from "pulumi-registry-credentials";

const login: RegistryLogin = { server: "ghcr.io", username: "acme-bot", password: "token", email: "ops@example.com" };
const target: NamespaceTarget = { name: "ci", serviceAccounts: ["builder"], keepImagePullSecrets: ["old-pull"], takeOwnership: true };

export const args: RegistryCredentialsArgs = {
    registries: [login],
    namespaces: ["shop", target],
    serviceAccounts: ["default"],
    secretName: "regcred",
    keepImagePullSecrets: [],
    takeOwnership: false,
    fieldManager: "platform-team",
};

const resolved: ResolvedLogin = { server: DOCKER_HUB_SERVER, username: "u", password: "p" };
export const config: string = encodeDockerConfig([resolved]);
export const typeToken: string = REGISTRY_CREDENTIALS_TYPE;

/** What a consumer reads off the component. */
export type Outputs = Pick<RegistryCredentials, "secrets" | "serviceAccountPatches" | "secretName" | "fieldManager" | "dockerConfigJson">;

// @ts-expect-error a login needs a password
export const withoutPassword: RegistryLogin = { username: "acme-bot" };

// @ts-expect-error namespaces are required
export const withoutNamespaces: RegistryCredentialsArgs = { registries: [login] };

// @ts-expect-error the Secrets are Kubernetes Secrets, not strings
export const secretsAsStrings: Record<string, string> = ({} as Outputs).secrets;
