import * as pulumi from "@pulumi/pulumi";
import type { LabelSelector } from "./namespaceSelector";
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
     * In 0.1.0: other entries to write into the list after ours.
     *
     * @deprecated Since 0.2.0 other writers' entries are always kept: the
     * component adds and removes only its own. Ignored, with a warning.
     */
    readonly keepImagePullSecrets?: string[];
    /**
     * In 0.1.0: force our list over another writer's.
     *
     * @deprecated Since 0.2.0 the component never takes the list from
     * another writer. Ignored, with a warning.
     */
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
     * touches them. Required unless `namespaceSelectors` is given; a
     * namespace both listed and selected is declared once, as listed.
     */
    readonly namespaces?: (string | NamespaceTarget)[];
    /**
     * Namespaces chosen by their labels, in addition to `namespaces`: each
     * is a Kubernetes `LabelSelector`, and a namespace matching any of them
     * is selected (ORed, as in External Secrets' `namespaceSelectors`).
     * Selected namespaces get the component's `serviceAccounts`.
     *
     * The set is resolved live, against the cluster of the component's
     * provider, at every preview and update (one LIST of namespaces, which the
     * deployer must be allowed cluster-wide): a namespace that starts matching
     * shows in `pulumi preview` as its Secret and entry to be added, one that
     * stops matching (relabelled or deleted) as their removal. A list that
     * fails fails the preview or update; it never resolves to "no namespaces".
     * Namespaces being deleted are skipped with a note. `kube-system`,
     * `kube-public`, `kube-node-lease`, `openshift` and `openshift-*` are never
     * selected: list one in `namespaces` to include it. Offline (`npm run
     * render`, Pulumi's mock engine) nothing is selected.
     */
    readonly namespaceSelectors?: LabelSelector[];
    /** Namespaces never selected, whatever their labels. They must not also be listed in `namespaces`. */
    readonly excludeNamespaces?: string[];
    /**
     * Whether selectors that match no namespace are fine. Defaults to
     * `false`: a selector that matches nothing is usually a typo in a label,
     * and is an error.
     */
    readonly allowEmptySelection?: boolean;
    /**
     * The share of the namespaces of the last update (0 to 1) that one update
     * may remove when selectors are in use; removing more fails the preview
     * and the update, and removes nothing. Removing a single namespace is
     * always allowed. Defaults to 0.25: a label migration or a selector typo
     * takes away most of a fleet, a team relabelling its namespaces a few
     * (docs/usage.md, "Choosing namespaces by label"). Set 1 for an update
     * that means to remove more.
     */
    readonly maxRemovedShare?: number;
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
     * In 0.1.0: other entries to write into each list after ours.
     *
     * @deprecated Since 0.2.0 other writers' entries are always kept: the
     * component adds and removes only its own entry. Ignored, with a warning.
     */
    readonly keepImagePullSecrets?: string[];
    /**
     * In 0.1.0: force our list over another writer's (`pulumi.com/patchForce`).
     *
     * @deprecated Since 0.2.0 the component never takes the list from
     * another writer, so there is nothing to force. Ignored, with a warning.
     */
    readonly takeOwnership?: boolean;
    /**
     * How Pods get the Secret:
     * - `"serviceAccounts"` (the default): our entry, `{ name: secretName }`,
     *   is added to each listed service account's `imagePullSecrets`, and
     *   removed again when the namespace, the account or the component goes.
     *   Other entries are never touched, and no service account is created.
     * - `"admissionPolicy"`: no service account is touched. A
     *   MutatingAdmissionPolicy (Kubernetes 1.36 and later) adds the entry to
     *   every Pod created in the namespaces from then on. `serviceAccounts`
     *   must not be given.
     */
    readonly attach?: "serviceAccounts" | "admissionPolicy";
    /**
     * How long to wait for a listed service account that does not exist yet
     * before failing, in seconds. A new namespace's `default` account appears
     * a few seconds after the namespace (about 40 s after a bulk create of
     * 1,200 namespaces). Defaults to 60.
     */
    readonly serviceAccountWaitSeconds?: number;
    /**
     * The field manager recorded in `metadata.managedFields` for our writes to
     * `imagePullSecrets`, and by which the component knows an entry it finds
     * as its own (so a lost state, or an upgrade from 0.1.0, does not leave
     * entries nobody removes). Defaults to `regcred/<project>/<stack>/<component name>`,
     * cut to the API server's 128 characters. Set it to keep the name stable
     * across a stack or component rename.
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
