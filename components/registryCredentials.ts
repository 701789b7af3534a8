import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RegistryCredentialsArgs } from "./args";
import { DOCKER_HUB_SERVER, encodeDockerConfig } from "./dockerConfig";
import { childName, defaultFieldManager, patchKey } from "./names";
import { Problem, dockerConfigProblems, invalidArgsError, loginProblems, validateArgs } from "./validate";
import { verifiedConfig } from "./verifyLogins";

/** The component's type token. */
export const REGISTRY_CREDENTIALS_TYPE = "registry-credentials:index:RegistryCredentials";

/**
 * Registry pull credentials in many namespaces: one `kubernetes.io/dockerconfigjson`
 * Secret per namespace, and one ServiceAccountPatch per (namespace, service
 * account) that adds it to `imagePullSecrets`.
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
    /** The service account patches, by `"namespace/serviceAccount"`. */
    public readonly serviceAccountPatches: Record<string, k8s.core.v1.ServiceAccountPatch>;
    /** The Secret's name in every namespace. */
    public readonly secretName: string;
    /** The server-side-apply field manager that owns the `imagePullSecrets` lists. */
    public readonly fieldManager: string;
    /** The `.dockerconfigjson` every Secret holds, as a Pulumi secret. */
    public readonly dockerConfigJson: pulumi.Output<string>;

    constructor(name: string, args: RegistryCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = validateArgs(name, args);
        if (problems.length > 0) {
            throw invalidArgsError(name, problems);
        }
        super(REGISTRY_CREDENTIALS_TYPE, name, inputsForState(args), opts);

        this.secretName = args.secretName ?? name;
        this.fieldManager = args.fieldManager ?? defaultFieldManager(pulumi.getProject(), pulumi.getStack(), name);
        // With verifyLogins, the Secrets' data waits for every login to pass its check.
        this.dockerConfigJson = pulumi.secret(verifiedConfig(name, dockerConfigJson(name, args, this), args.verifyLogins, this));
        warnIfRotationWouldReplace(this);
        const secretData = { ".dockerconfigjson": this.dockerConfigJson.apply(base64) };

        // The children are declared right here, not in helper methods: the SDK
        // records the whole call stack of every resource it registers, so each
        // frame between the caller and a child costs memory per child
        // (BENCHMARKS.md, "Where the time goes").
        this.secrets = {};
        this.serviceAccountPatches = {};
        for (const { namespace, serviceAccounts, keepImagePullSecrets, takeOwnership } of rolloutTargets(args)) {
            const secret = new k8s.core.v1.Secret(
                childName(name, namespace),
                { metadata: { name: this.secretName, namespace }, type: "kubernetes.io/dockerconfigjson", data: secretData },
                { parent: this },
            );
            this.secrets[namespace] = secret;

            for (const serviceAccount of serviceAccounts) {
                this.serviceAccountPatches[patchKey(namespace, serviceAccount)] = new k8s.core.v1.ServiceAccountPatch(
                    childName(name, namespace, serviceAccount),
                    {
                        metadata: { name: serviceAccount, namespace, annotations: patchAnnotations(this.fieldManager, takeOwnership) },
                        imagePullSecrets: [this.secretName, ...keepImagePullSecrets].map((entry) => ({ name: entry })),
                    },
                    // The secret first, so that no service account ever names a secret that does not exist.
                    { parent: this, dependsOn: [secret] },
                );
            }
        }

        this.registerOutputs({
            secretName: this.secretName,
            fieldManager: this.fieldManager,
            dockerConfigJson: this.dockerConfigJson,
            namespaces: Object.keys(this.secrets),
        });
    }
}

/** A namespace with every setting resolved. */
interface RolloutTarget {
    readonly namespace: string;
    readonly serviceAccounts: readonly string[];
    readonly keepImagePullSecrets: readonly string[];
    readonly takeOwnership: boolean;
}

function rolloutTargets(args: RegistryCredentialsArgs): RolloutTarget[] {
    return args.namespaces.map((target) => {
        const own = typeof target === "string" ? { name: target } : target;
        return {
            namespace: own.name,
            serviceAccounts: own.serviceAccounts ?? args.serviceAccounts ?? ["default"],
            keepImagePullSecrets: own.keepImagePullSecrets ?? args.keepImagePullSecrets ?? [],
            takeOwnership: own.takeOwnership ?? args.takeOwnership ?? false,
        };
    });
}

/**
 * `ServiceAccount.imagePullSecrets` is an atomic list for server-side apply:
 * one field manager owns all of it. A named field manager tells whoever meets
 * a conflict which stack holds the list. Forcing takes the whole list from
 * its owner, so it happens only when the caller asks for it; otherwise a
 * different list set by someone else fails the update instead of being lost.
 */
function patchAnnotations(fieldManager: string, takeOwnership: boolean): Record<string, string> {
    return takeOwnership
        ? { "pulumi.com/patchFieldManager": fieldManager, "pulumi.com/patchForce": "true" }
        : { "pulumi.com/patchFieldManager": fieldManager };
}

/**
 * pulumi-kubernetes replaces a Secret whose data changes unless its provider
 * has `enableSecretMutable`, and replacing a Secret with a fixed name means
 * deleting it first: until it is back, Pods in that namespace cannot pull.
 * The default provider's setting is visible here, so say so before the first
 * rotation. An explicit provider's is not; the README tells its owner.
 */
function warnIfRotationWouldReplace(component: RegistryCredentials): void {
    if (component.getProvider("kubernetes:core/v1:Secret") !== undefined) {
        return;
    }
    const configured = new pulumi.Config("kubernetes").getBoolean("enableSecretMutable");
    const mutable = configured ?? process.env.PULUMI_K8S_ENABLE_SECRET_MUTABLE === "true";
    if (!mutable) {
        pulumi.log.warn(
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
 * patches, an inline program's run) waits forever. Instead the message is
 * logged as an error on the component, which fails the update with it, and
 * the config becomes unknown: the API server refuses a dockerconfigjson
 * Secret without it, so nothing is written.
 */
function dockerConfigJson(name: string, args: RegistryCredentialsArgs, component: pulumi.Resource): pulumi.Output<string> {
    const checked = (problems: readonly Problem[], config: () => string): string => {
        if (problems.length === 0) {
            return config();
        }
        pulumi.log.error(invalidArgsError(name, problems).message, component);
        return pulumi.unknown as unknown as string;
    };
    if (args.registries !== undefined) {
        return pulumi.output(args.registries).apply((logins) =>
            checked(loginProblems(logins), () => encodeDockerConfig(logins.map((login) => ({ ...login, server: login.server ?? DOCKER_HUB_SERVER })))),
        );
    }
    return pulumi.output(args.dockerConfigJson ?? "").apply((config) => checked(dockerConfigProblems(config), () => config));
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
