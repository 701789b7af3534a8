/**
 * Adds or removes one entry, `{ name: <secret> }`, in one ServiceAccount's
 * `imagePullSecrets`, and nothing else.
 *
 * The list is atomic for server-side apply: an apply writes all of it, and
 * deleting an applied list can delete everyone's entries. So each write here
 * is a JSON Patch whose `test` operations pin what was read: the API server
 * checks them atomically with the change and refuses the patch if anyone
 * changed the list in between (422, or 409 on a resourceVersion conflict).
 * Then we read again and retry, a bounded number of times, with jitter so
 * that two writers do not collide again in step. A concurrent writer's
 * entry is never lost, and others' entries and their order are never
 * touched.
 *
 * A service account is never created: pulumi-kubernetes' patch resources
 * upsert, so a misspelt name used to leave a stray account behind. A
 * missing one is waited for a bounded time (a new namespace's `default`
 * appears only once the controller gets to it), then it is an error.
 *
 * Runs in Pulumi's dynamic provider process: Node's own modules only, and
 * plain Errors (a serialized Error subclass loses its message). Every
 * message names the service account and holds no credential.
 */
import { closest } from "./closest";
import { KubeConnection } from "./kubeconfig";
import { KubeResponse, kubeRequest } from "./kubeClient";

/** One service account and the Secret whose entry we manage in it. */
export interface EntryTarget {
    readonly namespace: string;
    readonly serviceAccount: string;
    readonly secretName: string;
}

/**
 * A service account's key in the entries resource's input and in the
 * component's `serviceAccounts`, built and parsed here alone, as is an
 * entry's id ({@link entryId}). `/` cannot
 * occur in a Kubernetes name, which keeps `a-b` + `c` apart from `a` + `b-c`.
 */
export function entryKey(namespace: string, serviceAccount: string): string {
    return `${namespace}/${serviceAccount}`;
}

/** The namespace and service account of an {@link entryKey}. */
export function parseKey(key: string): { namespace: string; serviceAccount: string } {
    const [namespace, serviceAccount] = key.split("/");
    return { namespace, serviceAccount };
}

/** An entry's id among those the entries resource owns: `namespace/serviceAccount/secretName`. */
export function entryId(target: EntryTarget): string {
    return `${entryKey(target.namespace, target.serviceAccount)}/${target.secretName}`;
}

/** The target of an {@link entryId}. */
export function parseEntryId(id: string): EntryTarget {
    const [namespace, serviceAccount, secretName] = id.split("/");
    return { namespace, serviceAccount, secretName };
}

/** The fields of a ServiceAccount read here, as the API server returns them. */
interface ServiceAccountJson {
    readonly metadata: { readonly resourceVersion?: string; readonly managedFields?: ManagedFieldsRecord[] };
    readonly imagePullSecrets?: { name?: string }[];
}

/** One record of `metadata.managedFields`: who wrote which fields, and how. */
export interface ManagedFieldsRecord {
    readonly manager?: string;
    readonly operation?: string;
    readonly fieldsV1?: Record<string, unknown>;
}

export interface WriteSettings {
    /** Recorded in `managedFields` as the manager of our writes; also how we recognise our own earlier writes. */
    readonly fieldManager: string;
    /** How long a missing service account is waited for. */
    readonly waitSeconds: number;
}

/**
 * What `addEntry` found: it added the entry; the entry was there and the list
 * was last written by us (ours to remove later); or someone else's entry of
 * that name was there already (theirs: left in place, now and on removal).
 */
export type AddResult = "added" | "ours" | "theirs";

const ATTEMPTS = 8;
const JSON_PATCH = "application/json-patch+json";

export async function addEntry(
    connection: KubeConnection,
    target: EntryTarget,
    settings: WriteSettings,
): Promise<AddResult> {
    const deadline = Date.now() + settings.waitSeconds * 1000;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const account = await readServiceAccount(connection, target, deadline, settings.waitSeconds);
        const entries = account.imagePullSecrets;
        if (entries?.some((entry) => entry?.name === target.secretName)) {
            return claimIfOurs(connection, target, account, settings.fieldManager);
        }
        // The list as read must still be there (or, with no list, nothing else
        // changed), else someone wrote in between and we read again.
        const patch = [
            ...(entries === undefined
                ? [testVersion(account), { op: "add", path: "/imagePullSecrets", value: [{ name: target.secretName }] }]
                : [
                      { op: "test", path: "/imagePullSecrets", value: entries },
                      { op: "add", path: "/imagePullSecrets/-", value: { name: target.secretName } },
                  ]),
            ...recordOwnership(account, settings.fieldManager),
        ];
        const response = await kubeRequest(
            connection,
            "PATCH",
            accountPath(target, settings.fieldManager),
            patch,
            JSON_PATCH,
        );
        if (response.status === 200) {
            return "added";
        }
        await unlessRaced(response, target, attempt, "add");
    }
    throw raceLost(target, "add");
}

/** Removes our entry if it is there. Resolves false when there was nothing to remove (entry or account gone). */
export async function removeEntry(
    connection: KubeConnection,
    target: EntryTarget,
    fieldManager: string,
): Promise<boolean> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const response = await kubeRequest(connection, "GET", accountPath(target));
        if (response.status === 404) {
            return false;
        }
        failUnlessOk(response, target, "read");
        const index = ((response.body.imagePullSecrets ?? []) as { name?: string }[]).findIndex(
            (entry) => entry?.name === target.secretName,
        );
        if (index < 0) {
            return false;
        }
        // Pinning the one entry is enough: whatever else changed, the index still names ours.
        const patch = [
            { op: "test", path: `/imagePullSecrets/${index}`, value: { name: target.secretName } },
            { op: "remove", path: `/imagePullSecrets/${index}` },
        ];
        const result = await kubeRequest(connection, "PATCH", accountPath(target, fieldManager), patch, JSON_PATCH);
        if (result.status === 200 || result.status === 404) {
            return result.status === 200;
        }
        await unlessRaced(result, target, attempt, "remove");
    }
    throw raceLost(target, "remove");
}

/** Whether our entry is in the account now; undefined when the account is gone. */
export async function hasEntry(connection: KubeConnection, target: EntryTarget): Promise<boolean | undefined> {
    const response = await kubeRequest(connection, "GET", accountPath(target));
    if (response.status === 404) {
        return undefined;
    }
    failUnlessOk(response, target, "read");
    return ((response.body.imagePullSecrets ?? []) as { name?: string }[]).some(
        (entry) => entry?.name === target.secretName,
    );
}

/**
 * Whether a `managedFields` record is our field manager's record of
 * `imagePullSecrets`: the marker by which the component, and the audit's
 * orphan check, know an entry as ours.
 */
export function isOurEntriesRecord(record: ManagedFieldsRecord | undefined, fieldManager: string): boolean {
    return record?.manager === fieldManager && record?.fieldsV1?.["f:imagePullSecrets"] !== undefined;
}

/**
 * The entry is there already. It is ours if our field manager wrote the
 * list last. Version 0.1.0 of this component wrote it by server-side
 * apply, and deleting that old patch resource would relinquish, and so
 * delete, the whole list: relabelling our manager's Apply record as an
 * Update record keeps the ownership but leaves nothing for that delete to
 * take. Other managers' records are left as they are.
 */
async function claimIfOurs(
    connection: KubeConnection,
    target: EntryTarget,
    account: ServiceAccountJson,
    fieldManager: string,
): Promise<AddResult> {
    const records = account.metadata.managedFields ?? [];
    const ours = records.filter((record) => isOurEntriesRecord(record, fieldManager));
    if (ours.length === 0) {
        return "theirs";
    }
    if (!ours.some((record) => record.operation === "Apply")) {
        return "ours";
    }
    const hasUpdateRecord = records.some(
        (record) => record?.manager === fieldManager && record?.operation === "Update",
    );
    const relabelled = records.flatMap((record) =>
        record?.manager !== fieldManager || record?.operation !== "Apply"
            ? [record]
            : hasUpdateRecord
              ? []
              : [{ ...record, operation: "Update" }],
    );
    const patch = [testVersion(account), { op: "replace", path: "/metadata/managedFields", value: relabelled }];
    const response = await kubeRequest(connection, "PATCH", accountPath(target), patch, JSON_PATCH);
    if (response.status !== 200 && response.status !== 409 && response.status !== 422) {
        failUnlessOk(response, target, "take over 0.1.0's record of");
    }
    // On a race, the next `up` (which finds the Apply record again) retries.
    return "ours";
}

/** The account, waiting up to the deadline for it to appear. */
async function readServiceAccount(
    connection: KubeConnection,
    target: EntryTarget,
    deadline: number,
    waitSeconds: number,
): Promise<ServiceAccountJson> {
    for (;;) {
        const response = await kubeRequest(connection, "GET", accountPath(target));
        if (response.status !== 404) {
            failUnlessOk(response, target, "read");
            return response.body as ServiceAccountJson;
        }
        if (Date.now() >= deadline) {
            const suggestion = await existingNear(connection, target);
            throw new Error(
                `service account ${target.namespace}/${target.serviceAccount} does not exist (waited ${waitSeconds} s)` +
                    `${suggestion === undefined ? ". " : `; did you mean "${suggestion}"? `}` +
                    "This component never creates service accounts: check the name in serviceAccounts, or create the account first.",
            );
        }
        await sleep(1000);
    }
}

/** The namespace's service account nearest to a misspelt name, when the deployer may list them (not needed otherwise: docs/security.md, "RBAC"). */
async function existingNear(connection: KubeConnection, target: EntryTarget): Promise<string | undefined> {
    try {
        const response = await kubeRequest(
            connection,
            "GET",
            `api/v1/namespaces/${encodeURIComponent(target.namespace)}/serviceaccounts`,
        );
        const names =
            response.status === 200
                ? ((response.body?.items ?? []) as { metadata?: { name?: string } }[]).map(
                      (item) => item.metadata?.name ?? "",
                  )
                : [];
        return closest(target.serviceAccount, names);
    } catch {
        return undefined;
    }
}

/**
 * The API server keeps no field managers for an object nothing ever applied
 * (a namespace's `default` account, made by the controller), so an update
 * there would leave no record that the list is ours, and after a lost state
 * our entry would look like someone else's and be left behind. So the first
 * write to such an account records our manager as the list's owner itself;
 * from then on the API server keeps the record, and moves it to whoever
 * writes the list next.
 */
function recordOwnership(account: ServiceAccountJson, fieldManager: string): object[] {
    if ((account.metadata?.managedFields ?? []).length > 0) {
        return [];
    }
    const record = {
        manager: fieldManager,
        operation: "Update",
        apiVersion: "v1",
        fieldsType: "FieldsV1",
        fieldsV1: { "f:imagePullSecrets": {} },
    };
    return [{ op: "add", path: "/metadata/managedFields", value: [record] }];
}

function testVersion(account: ServiceAccountJson) {
    return { op: "test", path: "/metadata/resourceVersion", value: account.metadata.resourceVersion };
}

/** Returns after a pause if another writer won the race (so the caller reads again); throws otherwise. */
async function unlessRaced(
    response: KubeResponse,
    target: EntryTarget,
    attempt: number,
    action: string,
): Promise<void> {
    if (response.status !== 409 && response.status !== 422) {
        failUnlessOk(response, target, action === "add" ? "add our entry to" : "remove our entry from");
    }
    await sleep(50 * attempt + Math.random() * 200 * attempt);
}

function raceLost(target: EntryTarget, action: string): Error {
    return new Error(
        `could not ${action} ${target.secretName} in ${target.namespace}/${target.serviceAccount}'s imagePullSecrets: ` +
            `the list changed under every one of ${ATTEMPTS} attempts. Another writer is rewriting it; run up again once it settles.`,
    );
}

function failUnlessOk(response: KubeResponse, target: EntryTarget, action: string): void {
    if (response.status >= 200 && response.status < 300) {
        return;
    }
    const reason = typeof response.body?.message === "string" ? `: ${response.body.message}` : "";
    throw new Error(
        `could not ${action} service account ${target.namespace}/${target.serviceAccount} (HTTP ${response.status})${reason}`,
    );
}

function accountPath(target: EntryTarget, fieldManager?: string): string {
    const base = `api/v1/namespaces/${encodeURIComponent(target.namespace)}/serviceaccounts/${encodeURIComponent(target.serviceAccount)}`;
    return fieldManager === undefined ? base : `${base}?fieldManager=${encodeURIComponent(fieldManager)}`;
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
