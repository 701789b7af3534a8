import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { admissionObjects } from "./admissionPolicy";
import { RegistryCredentialsArgs } from "./args";
import { warnIfDeprecated } from "./deprecated";
import { DOCKER_HUB_SERVER, decodeAuth, encodeDockerConfig } from "./dockerConfig";
import { LoginIdentity, shortLivedWarnings } from "./shortLivedTokens";
import { NOT_CHECKED, NamespaceListing, checkListed, listNamespaces } from "./clusterCheck";
import { KubeConnection, UnusableConnection, connectionOrReason } from "./kubeconfig";
import { DEFAULT_MAX_REMOVED_SHARE, selectNamespaces, selectorText } from "./namespaceSelector";
import { NamespaceSet } from "./namespaceSetResource";
import { onMockEngine, settledValue } from "./outputState";
import { reportCheck, reportFailures } from "./failureReport";
import { admissionPolicyName, childName, defaultFieldManager } from "./names";
import { entryKey } from "./serviceAccountEntry";
import { ServiceAccountEntries } from "./entriesResource";
import { Problem, invalidArgsError } from "./problems";
import { validateArgs } from "./validateArgs";
import { dockerConfigProblems } from "./validateDockerConfig";
import { loginProblems } from "./validateLogins";
import { verifiedConfig } from "./verifyLogins";

/** The component's type token. */
export const REGISTRY_CREDENTIALS_TYPE = "registry-credentials:index:RegistryCredentials";

/**
 * On every Secret. The Kubernetes provider deletes with foreground
 * propagation unless told otherwise: the API server then only marks the
 * Secret, and it goes once the controller manager's garbage collector has
 * removed its `foregroundDeletion` finalizer (a PATCH), which here came to
 * one Secret every 70–85 ms however many deletes Pulumi ran at once. A Secret
 * owns nothing, so background propagation (what `kubectl delete` uses)
 * deletes it at once, with the same result: at 100 namespaces a destroy took
 * 8.4 s with the default and 3.7 s with this.
 */
const SECRET_ANNOTATIONS = { "pulumi.com/deletionPropagationPolicy": "background" };

/**
 * The field manager of the provider's server-side applies of each Secret.
 * Left to itself, pulumi-kubernetes makes up a random one per resource and
 * keeps it in state; with the state lost, the next `up` applies as another
 * made-up manager and, after a password change, meets a conflict with the
 * old one on every Secret. The component's own field manager is stable for
 * as long as project, stack and component keep their names, so an `up` on
 * an empty backend applies as the same manager and takes its Secrets back.
 * On a stack deployed before, the change is one in-place update of each
 * Secret: the provider relinquishes the random manager's fields to ours.
 */
const FIELD_MANAGER_ANNOTATION = "pulumi.com/patchFieldManager";

/**
 * Registry pull credentials in many namespaces: one `kubernetes.io/dockerconfigjson`
 * Secret per namespace, attached to Pods either through the namespaces'
 * service accounts (our entry added to their `imagePullSecrets`, nothing
 * else touched) or through an admission policy.
 *
 * A workload that must not start before its pull secret exists can wait for
 * all of it with `dependsOn: [credentials]`.
 *
 * Give it a Kubernetes provider with `enableSecretMutable: true`, so that a
 * password rotation updates the Secrets in place instead of replacing them.
 */
export class RegistryCredentials extends pulumi.ComponentResource {
    /** The Secrets, by namespace. */
    public readonly secrets: Record<string, k8s.core.v1.Secret>;
    /** The service accounts that get our entry, as `"namespace/serviceAccount"` (none with `attach: "admissionPolicy"`). */
    public readonly serviceAccounts: string[];
    /**
     * The resource that keeps our entry in those service accounts, if there
     * are any. With `namespaceSelectors`, set once the cluster has been listed.
     */
    public serviceAccountEntries?: ServiceAccountEntries;
    /**
     * With `attach: "admissionPolicy"`: the MutatingAdmissionPolicy and its
     * binding. With `namespaceSelectors`, set once the cluster has been listed.
     */
    public admissionPolicy?: {
        policy: k8s.apiextensions.CustomResource;
        binding: k8s.apiextensions.CustomResource;
    };
    /**
     * In 0.1.0: the ServiceAccountPatches, by `"namespace/serviceAccount"`.
     *
     * @deprecated Always empty since 0.2.0, which no longer declares a
     * ServiceAccountPatch per service account: see `serviceAccounts` and
     * `serviceAccountEntries`. It goes in 1.0.
     */
    public readonly serviceAccountPatches: Record<string, k8s.core.v1.ServiceAccountPatch> = {};
    /** The Secret's name in every namespace. */
    public readonly secretName: string;
    /** The field manager recorded for our writes to `imagePullSecrets`. */
    public readonly fieldManager: string;
    /** The `.dockerconfigjson` every Secret holds, as a Pulumi secret. */
    public readonly dockerConfigJson: pulumi.Output<string>;
    /**
     * What did not land in this update, by namespace (or
     * `namespace/serviceAccount`), with why; empty when everything did. Each
     * is also reported as an error on the component, which fails the update.
     */
    public readonly failures: pulumi.Output<Record<string, string>>;

    /**
     * Every namespace the component declares a Secret in, listed and
     * selected, sorted. With `namespaceSelectors`, `secrets` and
     * `serviceAccounts` gain the selected namespaces only once the cluster has
     * been listed: read them in an `apply` of this output.
     */
    public readonly namespaces: pulumi.Output<string[]>;

    /** Called once every child is declared; see `initialize`. */
    declare private childrenDeclared: () => void;

    constructor(name: string, args: RegistryCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = validateArgs(name, args);
        if (problems.length > 0) {
            throw invalidArgsError(name, problems);
        }
        super(REGISTRY_CREDENTIALS_TYPE, name, inputsForState(args), opts);

        this.secretName = args.secretName ?? name;
        this.fieldManager = args.fieldManager ?? defaultFieldManager(pulumi.getProject(), pulumi.getStack(), name);
        // With verifyLogins, the Secrets' data waits for every login to pass its check.
        this.dockerConfigJson = pulumi.secret(
            verifiedConfig(name, dockerConfigJson(name, args, this), args.verifyLogins, this),
        );
        warnIfRotationWouldReplace(this);
        warnIfDeprecated(args, this);
        warnIfShortLived(args, this);
        const listedTargets = rolloutTargets(args);
        const listed = listedTargets.map(({ namespace }) => namespace);

        // The cluster's namespaces are listed once, before anything is written: to check the
        // listed ones (which cannot take a Secret, whether the cluster answers at all) and to
        // resolve the selectors. What the check says is reported before any Secret registers,
        // since a preview stops at the first Secret whose dry-run is refused.
        const cluster = clusterOf(this.getProvider("kubernetes:core/v1:Secret"));
        const listing: Promise<NamespaceListing | undefined> = onMockEngine()
            ? Promise.resolve(undefined)
            : settledValue(cluster.connection).then((connection) =>
                  connection.known ? listNamespaces(connection.value) : undefined,
              );
        const check = listing.then((found) => (found === undefined ? NOT_CHECKED : checkListed(found, listed)));
        const checkReported = Promise.all([check, cluster.label]).then(([checked, label]) =>
            reportCheck(this, label, checked, listed),
        );
        const secretData = {
            ".dockerconfigjson": pulumi.all([this.dockerConfigJson, checkReported]).apply(([config]) => base64(config)),
        };

        // The Secrets are declared right here, not in a helper: the SDK
        // records the whole call stack of every resource it registers, so
        // each frame between the caller and a child costs memory per child
        // (BENCHMARKS.md, "Where the time goes"). Selected namespaces are declared
        // once the cluster has been listed, by the same function.
        const secretAnnotations = { ...SECRET_ANNOTATIONS, [FIELD_MANAGER_ANNOTATION]: this.fieldManager };
        this.secrets = {};
        this.serviceAccounts = [];
        const declareSecrets = (targets: readonly RolloutTarget[]) => {
            for (const { namespace, serviceAccounts } of targets) {
                this.secrets[namespace] = new k8s.core.v1.Secret(
                    childName(name, namespace),
                    {
                        metadata: { name: this.secretName, namespace, annotations: secretAnnotations },
                        type: "kubernetes.io/dockerconfigjson",
                        data: secretData,
                    },
                    { parent: this },
                );
                this.serviceAccounts.push(...serviceAccounts.map((account) => entryKey(namespace, account)));
            }
        };
        declareSecrets(listedTargets);

        // Every target, listed and selected, once the selected ones are declared too; `resolved`
        // is false when the selectors could not be resolved (the error is on the component).
        const selectors = args.namespaceSelectors;
        const declared: Promise<{ targets: readonly RolloutTarget[]; resolved: boolean }> =
            selectors === undefined
                ? Promise.resolve({ targets: listedTargets, resolved: true })
                : Promise.all([listing, cluster.label]).then(([found, label]) => {
                      const selection = this.selectedTargets(args, listed, found, label);
                      const selected = "refusal" in selection ? [] : selection.selected;
                      declareSecrets(selected);
                      const targets = [...listedTargets, ...selected];
                      this.namespaceSet = new NamespaceSet(
                          `${name}/namespaces`,
                          {
                              namespaces: targets.map(({ namespace }) => namespace).sort(),
                              maxRemovedShare: args.maxRemovedShare ?? DEFAULT_MAX_REMOVED_SHARE,
                              refusal: "refusal" in selection ? selection.refusal : undefined,
                          },
                          { parent: this },
                      );
                      return { targets, resolved: !("refusal" in selection) };
                  });
        const allNamespaces = declared.then(({ targets }) => targets.map(({ namespace }) => namespace));

        const settled = declared.then(() => settledSecrets(this.secrets));
        const landed = settled.then(({ landed }) => landed);

        // Attached once every Secret has settled, and only where it landed:
        // nothing ever names a Secret that is not there, and one namespace
        // that fails holds back no other (see ServiceAccountEntries' `held`).
        const landedResources: Promise<pulumi.Input<pulumi.Resource>[]> = landed.then((inPlace) =>
            [...inPlace].map((namespace) => this.secrets[namespace]),
        );
        const attach = (targets: readonly RolloutTarget[]): Promise<Record<string, string>> => {
            if (args.attach === "admissionPolicy") {
                // The binding selects the namespaces where our Secret exists after this run (one whose
                // update failed keeps its old Secret), so no new Pod is given a Secret that is not there.
                const withSecret = settled.then(({ existing }) => [...existing]);
                this.admissionPolicy = declareAdmissionPolicy(name, this.secretName, withSecret, {
                    parent: this,
                    dependsOn: landedResources,
                });
                return Promise.resolve({});
            }
            const entries = Object.fromEntries(
                targets.flatMap(({ namespace, serviceAccounts }) =>
                    serviceAccounts.map((account) => [entryKey(namespace, account), this.secretName]),
                ),
            );
            // With selectors, kept even while nothing is selected, so that the entries go when the namespaces do.
            if (Object.keys(entries).length === 0 && !(selectors !== undefined && defaultAccounts(args).length > 0)) {
                return Promise.resolve({});
            }
            const namespaces = targets.map(({ namespace }) => namespace);
            const held = Promise.all([check, landed]).then(([checked, inPlace]) =>
                namespaces.filter((namespace) => namespace in checked.badNamespaces || !inPlace.has(namespace)),
            );
            const resource = new ServiceAccountEntries(
                `${name}/service-accounts`,
                {
                    entries,
                    held,
                    connection: cluster.connection,
                    fieldManager: this.fieldManager,
                    waitSeconds: args.serviceAccountWaitSeconds ?? DEFAULT_WAIT_SECONDS,
                },
                { parent: this, dependsOn: landedResources },
            );
            this.serviceAccountEntries = resource;
            return settledValue(resource.failures).then((failures) =>
                failures.known
                    ? (failures.value ?? {})
                    : pulumi.runtime.isDryRun()
                      ? {}
                      : { "*": "the service-account entries resource failed (its own error says why)" },
            );
        };
        // Without selectors, everything is declared now, as before. With them, the entries (or the
        // policy) wait for the selection and its guard, and are not declared at all when either
        // refused: the update stops (see selectedTargets), and they stay exactly as they are, never
        // updated to drop the namespaces that could not be listed.
        const entryFailures: Promise<Record<string, string>> =
            selectors === undefined
                ? attach(listedTargets)
                : declared.then(async ({ targets, resolved }) =>
                      resolved && (await this.removalAllowed()) ? attach(targets) : {},
                  );
        void entryFailures.finally(() => this.childrenDeclared());

        this.namespaces = pulumi.output(allNamespaces);
        this.failures = pulumi.output(
            Promise.all([check, landed, entryFailures, cluster.label, allNamespaces, checkReported]).then(
                ([checked, inPlace, entryProblems, label, namespaces]) =>
                    reportFailures(this, {
                        label,
                        check: checked,
                        namespaces,
                        landed: inPlace,
                        entryFailures: entryProblems,
                    }),
            ),
        );

        this.registerOutputs({
            secretName: this.secretName,
            fieldManager: this.fieldManager,
            dockerConfigJson: this.dockerConfigJson,
            namespaces: this.namespaces,
            serviceAccounts: this.namespaces.apply(() => this.serviceAccounts),
            failures: this.failures,
        });
    }

    /**
     * The SDK waits for this before it reads a component's children, for a
     * resource that has `dependsOn: [component]`. Selected namespaces' Secrets
     * are declared after the cluster is listed, so it resolves only once they
     * are: a workload depending on the component then waits for them too.
     */
    protected override async initialize(): Promise<unknown> {
        await new Promise<void>((resolve) => (this.childrenDeclared = resolve));
        return undefined;
    }

    /** With selectors: the set this update rolls out to, kept in state for the removal guard. */
    private namespaceSet?: NamespaceSet;

    /**
     * The namespaces the selectors add, each with the component's service
     * accounts; or, when the list failed or the selectors matched nothing
     * (unless allowed), why not. That reason is an error on the component,
     * and the NamespaceSet's check fails with it, which stops the preview or
     * update before anything is removed: a failed list never reads as "no
     * namespaces". (A logged error alone would not stop the engine's deletes.)
     */
    private selectedTargets(
        args: RegistryCredentialsArgs,
        listed: readonly string[],
        found: NamespaceListing | undefined,
        label: string,
    ): { selected: RolloutTarget[] } | { refusal: string } {
        const selectors = args.namespaceSelectors ?? [];
        const described = selectors.map((selector) => `"${selectorText(selector)}"`).join(" or ");
        if (found === undefined) {
            void pulumi.log.warn(
                `namespaceSelectors (${described}) are resolved against the cluster at preview and up; offline, only the listed namespaces are declared.`,
                this,
            );
            return { selected: [] };
        }
        let refusal: string | undefined;
        if (!("namespaces" in found)) {
            const reason =
                "unreachable" in found ? `the cluster cannot be reached: ${found.unreachable}` : found.unlisted;
            refusal =
                `On ${label}: namespaceSelectors (${described}) could not be resolved, because ${reason}. ` +
                "Nothing was added or removed. Selecting namespaces by label needs `list` on namespaces, cluster-wide (README, RBAC).";
        }
        const result =
            refusal === undefined && "namespaces" in found
                ? selectNamespaces(
                      { selectors, exclude: args.excludeNamespaces, listed, allowEmpty: args.allowEmptySelection },
                      found.namespaces,
                  )
                : undefined;
        if (result?.empty !== undefined) {
            refusal = `On ${label}: ${result.empty}. Nothing was added or removed.`;
        }
        if (refusal !== undefined || result === undefined) {
            // Logged on the component for its summary; the NamespaceSet's check fails with it, which stops the update.
            void pulumi.log.error(refusal ?? "", this);
            return { refusal: refusal ?? "" };
        }
        for (const [namespace, note] of Object.entries(result.skipped)) {
            void pulumi.log.info(`On ${label}: namespace ${namespace} ${note}.`, this);
        }
        const accounts = defaultAccounts(args);
        return { selected: result.selected.map((namespace) => ({ namespace, serviceAccounts: accounts })) };
    }

    /**
     * In an update, whether the NamespaceSet's check let it through. If not,
     * the engine has printed why and stops the update before any delete
     * (an invalid resource makes it bail); the entries (or the policy) are
     * then not declared, so that none is taken away meanwhile. A preview
     * does not wait: a refusal fails it anyway, and otherwise it shows the
     * entries.
     */
    private async removalAllowed(): Promise<boolean> {
        if (this.namespaceSet === undefined || pulumi.runtime.isDryRun()) {
            return true;
        }
        if ((await settledValue(this.namespaceSet.namespaces)).known) {
            return true;
        }
        void pulumi.log.error(
            "The removal guard refused this update (its error above names the namespaces and maxRemovedShare); nothing was removed.",
            this,
        );
        return false;
    }
}

/**
 * Each Secret after this run: whether it exists, and whether this run's
 * write of it landed. During an update with `--continue-on-error` (without
 * it the engine stops the whole run at the first failure), the engine
 * answers the registration of a Secret whose create or update failed with a
 * failed result, and the SDK then resolves every output the answer lacks as
 * unknown, where after success it would be a known `undefined`. `stringData`
 * is such an output: the API server never returns it. The id tells only
 * whether the Secret exists: a failed create has none, a failed update keeps
 * the old one (and pulumi-kubernetes reports a refused write as a partial
 * failure, with outputs). A preview writes nothing, so it counts every
 * Secret as existing and landing.
 *
 * Whatever attaches the Secrets must not depend on one that failed: the
 * engine skips every dependent of a failed step, which is how one bad
 * namespace used to hold back every other namespace's entries.
 */
async function settledSecrets(
    secrets: Record<string, k8s.core.v1.Secret>,
): Promise<{ existing: Set<string>; landed: Set<string> }> {
    if (pulumi.runtime.isDryRun()) {
        return { existing: new Set(Object.keys(secrets)), landed: new Set(Object.keys(secrets)) };
    }
    const states = await Promise.all(
        Object.entries(secrets).map(async ([namespace, secret]) => {
            const exists = (await settledValue(secret.id)).known;
            return { namespace, exists, landed: exists && (await settledValue(secret.stringData)).known };
        }),
    );
    const where = (keep: (state: (typeof states)[number]) => boolean) =>
        new Set(states.filter(keep).map(({ namespace }) => namespace));
    return { existing: where(({ exists }) => exists), landed: where(({ landed }) => landed) };
}

/** The policy that adds the Secret to new Pods in `namespaces`, and its binding (admissionPolicy.ts). */
function declareAdmissionPolicy(
    name: string,
    secretName: string,
    namespaces: pulumi.Input<readonly string[]>,
    opts: pulumi.CustomResourceOptions & { parent: pulumi.Resource },
): { policy: k8s.apiextensions.CustomResource; binding: k8s.apiextensions.CustomResource } {
    const objects = admissionObjects(
        admissionPolicyName(pulumi.getProject(), pulumi.getStack(), name),
        secretName,
        namespaces,
    );
    const policy = new k8s.apiextensions.CustomResource(
        `${name}/admission-policy`,
        objects.policy as k8s.apiextensions.CustomResourceArgs,
        opts,
    );
    const binding = new k8s.apiextensions.CustomResource(
        `${name}/admission-policy-binding`,
        objects.binding as k8s.apiextensions.CustomResourceArgs,
        {
            parent: opts.parent,
            dependsOn: [policy],
        },
    );
    return { policy, binding };
}

/** How long a missing service account is waited for, by default. */
const DEFAULT_WAIT_SECONDS = 60;

/** A namespace with its service accounts resolved. */
interface RolloutTarget {
    readonly namespace: string;
    readonly serviceAccounts: readonly string[];
}

/** The listed namespaces, each with its own service accounts or the component's. */
function rolloutTargets(args: RegistryCredentialsArgs): RolloutTarget[] {
    const fallback = defaultAccounts(args);
    return (args.namespaces ?? []).map((target) => {
        const own = typeof target === "string" ? { name: target } : target;
        return { namespace: own.name, serviceAccounts: own.serviceAccounts ?? fallback };
    });
}

/** The service accounts of a namespace that names none of its own: every selected one, say. */
function defaultAccounts(args: RegistryCredentialsArgs): readonly string[] {
    return args.attach === "admissionPolicy" ? [] : (args.serviceAccounts ?? ["default"]);
}

/**
 * The cluster the Secrets go to, as the service-account writer and the
 * cluster check reach it: the connection of the Kubernetes provider the
 * Secrets go through, so the user gives credentials once. A provider
 * resource's inputs come back as its outputs, so an explicit provider's
 * `kubeconfig`, `context` and `cluster` can be read off it (its type does
 * not declare them); the default provider's come from the `kubernetes:`
 * config and KUBECONFIG, as the provider reads them.
 *
 * During a preview a setting the provider was not given reads as unknown,
 * and counts as unset, as the provider reads it. (A setting computed from a
 * cluster not created yet reads as unknown too: the preview then checks the
 * cluster the default kubeconfig names, and its messages name that context.
 * An update knows every setting.)
 *
 * A kubeconfig that cannot be used is not an error here: `render` needs no
 * cluster. The check and the writer report the reason.
 */
function clusterOf(kubernetesProvider: pulumi.ProviderResource | undefined): {
    connection: pulumi.Output<KubeConnection | UnusableConnection>;
    label: Promise<string>;
} {
    const provider = kubernetesProvider as
        | (pulumi.ProviderResource & {
              kubeconfig?: pulumi.Output<string>;
              context?: pulumi.Output<string>;
              cluster?: pulumi.Output<string>;
          })
        | undefined;
    const config = new pulumi.Config("kubernetes");
    const settings =
        provider === undefined
            ? {
                  kubeconfig: config.getSecret("kubeconfig") ?? process.env.KUBECONFIG,
                  context: config.get("context"),
                  cluster: config.get("cluster"),
              }
            : { kubeconfig: provider.kubeconfig, context: provider.context, cluster: provider.cluster };
    const read = (value: pulumi.Input<string> | undefined) => settledValue(pulumi.output(value));
    const resolved = Promise.all([read(settings.kubeconfig), read(settings.context), read(settings.cluster)]).then(
        (values) => {
            const [kubeconfig, context, cluster] = values.map((value) => (value.known && value.value) || undefined);
            const given = { kubeconfig, context, cluster };
            return { given, connection: connectionOrReason(given) };
        },
    );
    return {
        connection: pulumi.secret(pulumi.output(resolved.then((found) => found.connection))),
        label: resolved.then((found) => {
            const server = "server" in found.connection ? found.connection.server : undefined;
            const context = found.given.context;
            return [
                context === undefined ? "the current context" : `context "${context}"`,
                server === undefined ? [] : [`(${server})`],
            ]
                .flat()
                .join(" ");
        }),
    };
}

/**
 * pulumi-kubernetes replaces a Secret whose data changes unless its provider
 * has `enableSecretMutable`, and replacing a Secret with a fixed name means
 * deleting it first: until it is back, Pods in that namespace cannot pull.
 * The default provider's setting is visible here, so say so before the first
 * rotation. An explicit provider's is not; docs/design.md, "Rotating credentials in place", tells its owner.
 */
function warnIfRotationWouldReplace(component: RegistryCredentials): void {
    if (component.getProvider("kubernetes:core/v1:Secret") !== undefined) {
        return;
    }
    const configured = new pulumi.Config("kubernetes").getBoolean("enableSecretMutable");
    const mutable = configured ?? process.env.PULUMI_K8S_ENABLE_SECRET_MUTABLE === "true";
    if (!mutable) {
        void pulumi.log.warn(
            "A password change will replace each pull Secret, deleting it before creating it again, so Pods " +
                "started in between cannot pull: the default Kubernetes provider treats Secret data as immutable. " +
                "To rotate in place, run: pulumi config set kubernetes:enableSecretMutable true",
            component,
        );
    }
}

/**
 * The config every Secret holds. Values given as Outputs are checked here,
 * once known, with the same messages the constructor gives.
 *
 * A problem found now is not thrown. Thrown inside an apply, it would reach
 * the user behind the SDK's "error serializing property" chain, and a child
 * whose inputs fail is never registered, so whatever waits on it (the
 * service account entries, an inline program's run) waits forever. Instead
 * the message is logged as an error on the component, which fails the
 * update with it, and the config becomes unknown: the API server refuses a dockerconfigjson
 * Secret without it, so nothing is written.
 */
function dockerConfigJson(
    name: string,
    args: RegistryCredentialsArgs,
    component: pulumi.Resource,
): pulumi.Output<string> {
    const checked = (problems: readonly Problem[], config: () => string): string => {
        if (problems.length === 0) {
            return config();
        }
        void pulumi.log.error(invalidArgsError(name, problems).message, component);
        return pulumi.unknown as unknown as string;
    };
    if (args.registries !== undefined) {
        return pulumi
            .output(args.registries)
            .apply((logins) =>
                checked(loginProblems(logins), () =>
                    encodeDockerConfig(
                        logins.map((login) => ({ ...login, server: login.server ?? DOCKER_HUB_SERVER })),
                    ),
                ),
            );
    }
    return pulumi
        .output(args.dockerConfigJson ?? "")
        .apply((config) => checked(dockerConfigProblems(config), () => config));
}

/**
 * Warns of each login that expires within hours (shortLivedTokens.ts). It
 * reads servers and user names only, once known; a config that does not
 * parse is the config check's to report.
 */
function warnIfShortLived(args: RegistryCredentialsArgs, component: pulumi.Resource): void {
    const identities: pulumi.Output<LoginIdentity[]> =
        args.registries !== undefined
            ? pulumi.output(args.registries).apply((logins) =>
                  (Array.isArray(logins) ? logins : []).map((login) => ({
                      server: String(login?.server ?? DOCKER_HUB_SERVER),
                      username: String(login?.username ?? ""),
                  })),
              )
            : pulumi.output(args.dockerConfigJson ?? "").apply(identitiesInConfig);
    identities.apply((logins) => {
        for (const warning of shortLivedWarnings(logins)) {
            void pulumi.log.warn(warning, component);
        }
    });
}

function identitiesInConfig(config: string): LoginIdentity[] {
    try {
        const auths = JSON.parse(config)?.auths ?? {};
        return Object.entries(auths as Record<string, { username?: unknown; auth?: unknown }>).map(
            ([server, entry]) => ({
                server,
                username:
                    typeof entry?.username === "string"
                        ? entry.username
                        : typeof entry?.auth === "string"
                          ? (decodeAuth(entry.auth)?.username ?? "")
                          : "",
            }),
        );
    } catch {
        return [];
    }
}

/**
 * Pulumi keeps a component's inputs in state, so the credentials go there as
 * secrets, whether or not the caller made them secret.
 */
function inputsForState(args: RegistryCredentialsArgs): pulumi.Inputs {
    return {
        ...args,
        registries: args.registries?.map((login) => ({ ...login, password: pulumi.secret(login.password) })),
        dockerConfigJson: args.dockerConfigJson === undefined ? undefined : pulumi.secret(args.dockerConfigJson),
    };
}

function base64(text: string): string {
    return Buffer.from(text).toString("base64");
}
