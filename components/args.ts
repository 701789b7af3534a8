import * as pulumi from "@pulumi/pulumi";
import type { VerifyLoginsSetting } from "./verifyLogins";

/**
 * One registry to log in to: what you would pass to
 * `kubectl create secret docker-registry`.
 */
export interface RegistryLogin {
    /**
     * The registry's address as it appears in image references, for example
     * `ghcr.io` or `registry.example.com:5000`: the value of kubectl's
     * `--docker-server`. Defaults to Docker Hub's `https://index.docker.io/v1/`,
     * as kubectl does. Must not be empty, and no two logins may share one.
     */
    readonly server?: pulumi.Input<string>;
    /**
     * The user name. Must not be empty, and must not contain `:` because the
     * kubelet splits the `auth` token at its first `:`.
     */
    readonly username: pulumi.Input<string>;
    /**
     * The password or access token. Must not be empty. It is made a Pulumi
     * secret whether or not you pass one, and never appears in an error.
     */
    readonly password: pulumi.Input<string>;
    /** An e-mail address, as kubectl's `--docker-email`. Left out of the config when empty. */
    readonly email?: pulumi.Input<string>;
}

/**
 * A namespace to put the pull secret in, with settings of its own that
 * override the component-wide ones.
 */
export interface NamespaceTarget {
    /** The namespace's name: a DNS-1123 label (lowercase, at most 63 characters). */
    readonly name: string;
    /**
     * The service accounts to patch in this namespace, in place of the
     * component's `serviceAccounts`. `[]` means the secret only.
     */
    readonly serviceAccounts?: string[];
    /**
     * Entries to keep in this namespace's service accounts' `imagePullSecrets`,
     * in place of the component's `keepImagePullSecrets`.
     */
    readonly keepImagePullSecrets?: string[];
    /** Overrides the component's `takeOwnership` for this namespace. */
    readonly takeOwnership?: boolean;
}

/** The arguments of {@link RegistryCredentials}. */
export interface RegistryCredentialsArgs {
    /**
     * The registries to log in to. They all go into one Secret, with one
     * `auths` entry each, in an order that does not depend on this list's.
     * Give exactly one of `registries` and `dockerConfigJson`.
     */
    readonly registries?: RegistryLogin[];
    /**
     * The contents of an existing docker `config.json`, stored as it is: the
     * route of `kubectl create secret generic --from-file=.dockerconfigjson=…`.
     * It must be JSON with an `auths` object whose every entry holds
     * credentials (`auth`, or `username` and `password`). A config that
     * points at a credential store (`credsStore`, `credHelpers`, as Docker
     * Desktop's does) holds none. Give exactly one of `registries` and
     * `dockerConfigJson`.
     */
    readonly dockerConfigJson?: pulumi.Input<string>;
    /**
     * The namespaces to put the pull secret in: names, or
     * {@link NamespaceTarget}s for settings of their own. They must exist
     * already, and the list must not be empty or name a namespace twice.
     * Order does not matter: each namespace's resources are named from the
     * namespace alone, so adding, removing or reordering others never
     * touches them.
     */
    readonly namespaces: (string | NamespaceTarget)[];
    /**
     * The service accounts whose `imagePullSecrets` get the secret, in every
     * namespace that does not list its own. Defaults to `["default"]`. `[]`
     * means secrets only, for teams that set `imagePullSecrets` on their Pods.
     */
    readonly serviceAccounts?: string[];
    /**
     * The Secret's name in every namespace: a DNS-1123 subdomain. Defaults to
     * the component's name.
     */
    readonly secretName?: string;
    /**
     * Other entries to keep in each patched service account's
     * `imagePullSecrets`, after ours. The list is atomic for server-side
     * apply, so whoever applies it writes all of it: name here what another
     * tool put there (OpenShift's `default-dockercfg-…`, say) so that taking
     * ownership keeps it. Defaults to `[]`.
     */
    readonly keepImagePullSecrets?: string[];
    /**
     * Take a service account's `imagePullSecrets` from whoever owns it now
     * (`pulumi.com/patchForce`), replacing the whole list with ours plus
     * `keepImagePullSecrets`. Defaults to `false`: another writer's
     * different list is then a conflict error, and nothing is dropped.
     */
    readonly takeOwnership?: boolean;
    /**
     * The server-side-apply field manager that owns the `imagePullSecrets`
     * lists this component writes, as shown in `metadata.managedFields` and in
     * conflict errors. Defaults to `regcred/<project>/<stack>/<component name>`,
     * cut to the API server's 128 characters. Set it to keep the name stable
     * across a stack or component rename, or to continue lists written by
     * `kubectl apply --server-side --field-manager=<name>` without a conflict.
     */
    readonly fieldManager?: string;
    /**
     * Try each login against its registry before any Secret is written (the
     * Docker Registry v2 auth flow: `GET /v2/`, then Basic, or a Bearer token
     * from the registry's token service), so that a wrong, expired or wrongly
     * scoped login fails the preview, naming the server and the HTTP status.
     * Known values are checked during `pulumi preview`; Outputs at `up`. A
     * few HTTPS requests per login on every preview and update; see
     * {@link VerifyLoginsOptions} for a repository to check, what an
     * unreachable registry does (an error, by default) and a private CA.
     * Defaults to `false`: nothing is sent anywhere.
     */
    readonly verifyLogins?: VerifyLoginsSetting;
}
