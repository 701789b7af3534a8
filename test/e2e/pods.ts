/**
 * The node suite's view of Pods: what a user looks at after a pull, the
 * container's state (`Running`, or waiting on `ErrImagePull` or
 * `ImagePullBackOff` with the kubelet's message) and the Pod's events. The
 * Pods run on the cluster's one node: no scheduler runs, so each names it,
 * and no CNI plugin either, so each uses the host's network.
 */
import { strict as assert } from "assert";
import { Cluster } from "../../testcluster/controlPlane";
import { kubectl, kubectlOk } from "../../testcluster/kubectl";
import { waitFor } from "../../testcluster/waitFor";
import { createObject } from "./cluster";

export interface PodOptions {
    readonly serviceAccount?: string;
    /** The Pod's own `imagePullSecrets`, by name. */
    readonly imagePullSecrets?: readonly string[];
    /** Default: the kubelet's own (IfNotPresent for a tag other than latest). */
    readonly imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
}

/** A Pod spec that runs on the test node. */
export function podSpec(cluster: Cluster, image: string, options: PodOptions = {}): object {
    assert.ok(cluster.node, `cluster ${cluster.name} has no node`);
    return {
        nodeName: cluster.node.name,
        hostNetwork: true,
        // Without a token there is no kube-root-ca.crt ConfigMap to wait for (its controller is not running).
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 1,
        ...(options.serviceAccount ? { serviceAccountName: options.serviceAccount } : {}),
        ...(options.imagePullSecrets ? { imagePullSecrets: options.imagePullSecrets.map((name) => ({ name })) } : {}),
        containers: [
            {
                name: "app",
                image,
                ...(options.imagePullPolicy ? { imagePullPolicy: options.imagePullPolicy } : {}),
            },
        ],
    };
}

/** Creates a Pod on the test node. */
export function createPod(
    cluster: Cluster,
    namespace: string,
    name: string,
    image: string,
    options?: PodOptions,
): void {
    createObject(cluster, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace },
        spec: podSpec(cluster, image, options),
    });
}

/** Creates a Deployment of one replica on the test node, its Pods labelled `app: <name>`. */
export function createDeployment(cluster: Cluster, namespace: string, name: string, image: string): void {
    createObject(cluster, {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace },
        spec: {
            replicas: 1,
            selector: { matchLabels: { app: name } },
            template: { metadata: { labels: { app: name } }, spec: podSpec(cluster, image) },
        },
    });
}

/** The names of the Pods labelled `app: <app>` that are not being deleted, oldest first. */
export function podsOf(cluster: Cluster, namespace: string, app: string): string[] {
    const list = JSON.parse(kubectlOk(cluster, "get", "pods", "-n", namespace, "-l", `app=${app}`, "-o", "json"));
    return list.items
        .filter((pod: any) => pod.metadata.deletionTimestamp === undefined)
        .sort((a: any, b: any) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp))
        .map((pod: any) => pod.metadata.name);
}

/** What became of a Pod's image pull: its container runs, or waits on a pull error with the kubelet's message. */
export type PullOutcome =
    | { readonly state: "Running" }
    | { readonly state: "ErrImagePull" | "ImagePullBackOff" | "ErrImageNeverPull"; readonly message: string };

const PULL_FAILURES = ["ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull"];

/** Waits until the Pod's container runs or waits on a pull error, and says which. */
export async function pullOutcome(
    cluster: Cluster,
    namespace: string,
    pod: string,
    timeoutMs = 60_000,
): Promise<PullOutcome> {
    let outcome: PullOutcome | undefined;
    let seen = "";
    await waitFor(
        () => {
            const result = kubectl(cluster, ["get", "pod", pod, "-n", namespace, "-o", "json"]);
            if (result.status !== 0) {
                seen = result.stderr.trim();
                return false;
            }
            const status = JSON.parse(result.stdout).status ?? {};
            const state = status.containerStatuses?.[0]?.state ?? {};
            seen = JSON.stringify({ phase: status.phase, state });
            if (state.running) {
                outcome = { state: "Running" };
            } else if (PULL_FAILURES.includes(state.waiting?.reason)) {
                outcome = { state: state.waiting.reason, message: state.waiting.message ?? "" };
            }
            return outcome !== undefined;
        },
        {
            awaited: `pod ${namespace}/${pod} to run or fail its pull`,
            timeoutMs,
            intervalMs: 200,
            lastSeen: () => seen,
        },
    );
    return outcome!;
}

/** Waits until the Pod's container runs; fails with what it waits on instead. */
export async function untilRunning(cluster: Cluster, namespace: string, pod: string): Promise<void> {
    const outcome = await pullOutcome(cluster, namespace, pod);
    assert.deepEqual(outcome, { state: "Running" }, `pod ${namespace}/${pod} does not run`);
}

/** Whether the outcome is the how-to guides' screen: the registry refused a pull without credentials. */
export function isPullAccessDenied(outcome: PullOutcome): boolean {
    return outcome.state !== "Running" && /pull access denied/.test(outcome.message);
}

/** The Pod's events as `kubectl get events` prints them: reason and message, oldest first. */
export function podEvents(cluster: Cluster, namespace: string, pod: string): string[] {
    const list = JSON.parse(
        kubectlOk(
            cluster,
            "get",
            "events",
            "-n",
            namespace,
            "--field-selector",
            `involvedObject.name=${pod}`,
            "-o",
            "json",
        ),
    );
    return list.items.map((event: any) => `${event.type} ${event.reason}: ${event.message}`);
}
