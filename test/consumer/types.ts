/**
 * Compiled with `tsc --strict` against the installed package by
 * test/consumer.test.ts: every public export is importable, and the types
 * are real types, not `any` (the @ts-expect-error lines fail to compile if
 * they are).
 */
import {
    DOCKER_HUB_SERVER,
    LabelSelectorRequirement,
    NamespaceTarget,
    REGISTRY_CREDENTIALS_TYPE,
    RegistryCredentials,
    RegistryCredentialsArgs,
    RegistryLogin,
    ResolvedLogin,
    encodeDockerConfig,
} from "pulumi-registry-credentials";

const login: RegistryLogin = { server: "ghcr.io", username: "acme-bot", password: "token", email: "ops@example.com" };
// keepImagePullSecrets and takeOwnership are deprecated since 0.2.0: 0.1.0 programs still compile.
const target: NamespaceTarget = {
    name: "ci",
    serviceAccounts: ["builder"],
    keepImagePullSecrets: ["old-pull"],
    takeOwnership: true,
};

export const args: RegistryCredentialsArgs = {
    registries: [login],
    namespaces: ["shop", target],
    serviceAccounts: ["default"],
    secretName: "regcred",
    keepImagePullSecrets: [],
    takeOwnership: false,
    fieldManager: "platform-team",
    attach: "serviceAccounts",
    serviceAccountWaitSeconds: 60,
};

export const admission: RegistryCredentialsArgs = {
    registries: [login],
    namespaces: ["shop"],
    attach: "admissionPolicy",
};

// @ts-expect-error attach takes the two modes only
export const badMode: RegistryCredentialsArgs = { registries: [login], namespaces: ["shop"], attach: "pods" };

const resolved: ResolvedLogin = { server: DOCKER_HUB_SERVER, username: "u", password: "p" };
export const config: string = encodeDockerConfig([resolved]);
export const typeToken: string = REGISTRY_CREDENTIALS_TYPE;

/** What a consumer reads off the component. */
export type Outputs = Pick<
    RegistryCredentials,
    | "secrets"
    | "serviceAccounts"
    | "serviceAccountEntries"
    | "admissionPolicy"
    | "serviceAccountPatches"
    | "secretName"
    | "fieldManager"
    | "dockerConfigJson"
    | "namespaces"
>;

// @ts-expect-error a login needs a password
export const withoutPassword: RegistryLogin = { username: "acme-bot" };

// Namespaces may be chosen by label alone, with Kubernetes' LabelSelector shape.
export const selectedOnly: RegistryCredentialsArgs = {
    registries: [login],
    namespaceSelectors: [
        { matchLabels: { "pull-secrets": "ghcr" } },
        { matchExpressions: [{ key: "team", operator: "Exists" }] },
    ],
    excludeNamespaces: ["sandbox"],
};

// A selector's operator is one of Kubernetes' four.
const hasOperator = { key: "team", operator: "Has" } as const;
// @ts-expect-error "Has" is not an operator
export const badOperator: LabelSelectorRequirement = hasOperator;

// @ts-expect-error the Secrets are Kubernetes Secrets, not strings
export const secretsAsStrings: Record<string, string> = ({} as Outputs).secrets;
