/**
 * One Pulumi resource per component and cluster that keeps our entry in
 * every listed service account's `imagePullSecrets` (serviceAccountEntry.ts
 * does each write). It is a dynamic resource: pulumi-kubernetes has nothing
 * that owns one entry of an atomic list.
 *
 * One resource for all service accounts rather than one each: a dynamic
 * resource's state holds its provider's code and the cluster connection, so
 * one per service account would put a thousand copies of both in the state,
 * and a thousand engine steps in every update. Its `entries` input maps
 * each `namespace/serviceAccount` to the Secret's name, so `pulumi preview
 * --diff` still shows, per service account, the entry that will be added or
 * removed.
 */
import * as pulumi from "@pulumi/pulumi";
import { KubeConnection, UnusableConnection } from "./kubeconfig";
import { EntryTarget, addEntry, hasEntry, removeEntry } from "./serviceAccountEntry";

export interface ServiceAccountEntriesArgs {
    /** `namespace/serviceAccount` → the Secret whose entry it gets. */
    readonly entries: pulumi.Input<Record<string, string>>;
    readonly connection: pulumi.Input<KubeConnection | UnusableConnection>;
    readonly fieldManager: pulumi.Input<string>;
    readonly waitSeconds: pulumi.Input<number>;
}

/** The resource's state, as the provider reads and writes it. */
interface State {
    /** The wanted entries that are in place (after a refresh: those still there). */
    readonly entries: Record<string, string>;
    readonly connection: KubeConnection | UnusableConnection;
    readonly fieldManager: string;
    readonly waitSeconds: number;
    /** `namespace/serviceAccount/secretName` of each entry we added, and so may remove. */
    readonly owned: string[];
}

/** At most this many requests in flight: enough to hide latency, few enough to spare the API server. */
const CONCURRENCY = 32;

export class ServiceAccountEntries extends pulumi.dynamic.Resource {
    /** The entries in place, by `namespace/serviceAccount`. */
    public readonly entries!: pulumi.Output<Record<string, string>>;
    /** The entries this resource added, and will remove on delete. */
    public readonly owned!: pulumi.Output<string[]>;

    constructor(name: string, args: ServiceAccountEntriesArgs, opts: pulumi.CustomResourceOptions) {
        super(entriesProvider, name, { ...args, owned: undefined }, { ...opts, additionalSecretOutputs: ["connection"] }, "registry-credentials", "ServiceAccountEntries");
    }
}

const entriesProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: State, news: State) {
        // During a preview, a provider setting left unset reads as unknown,
        // and so does the connection built from it (it arrives as Pulumi's
        // unknown marker, a string): that alone is no reason to update.
        const connectionKnown = typeof news.connection === "object";
        const changed =
            !sameEntries(olds.entries, news.entries) ||
            olds.fieldManager !== news.fieldManager ||
            olds.waitSeconds !== news.waitSeconds ||
            (connectionKnown && JSON.stringify(olds.connection) !== JSON.stringify(news.connection));
        return { changes: changed, replaces: [] };
    },

    async create(inputs: State) {
        const outs = await converge({ ...inputs, entries: {}, owned: [] }, inputs);
        return { id: "entries", outs };
    },

    async update(_id: string, olds: State, news: State) {
        return { outs: await converge(olds, news) };
    },

    async delete(_id: string, olds: State) {
        if ((olds.owned ?? []).length === 0) {
            return;
        }
        const connection = usable(olds.connection);
        const failures: string[] = [];
        await forEachLimited(olds.owned ?? [], async (id) => {
            try {
                await removeEntry(connection, parseId(id), olds.fieldManager);
            } catch (error) {
                failures.push(messageOf(error));
            }
        });
        if (failures.length > 0) {
            throw new Error(summarize("Removing our imagePullSecrets entry", failures));
        }
    },

    /** `pulumi refresh`: an entry someone removed drops out of `entries`, so the next `up` adds it back. */
    async read(id: string, olds: State) {
        const owned = olds.owned ?? [];
        const wanted = Object.entries(olds.entries ?? {}).map(([key, secretName]) => `${key}/${secretName}`);
        const connection = usable(olds.connection);
        const present = new Set<string>();
        await forEachLimited([...new Set([...wanted, ...owned])], async (entry) => {
            if (await hasEntry(connection, parseId(entry))) {
                present.add(entry);
            }
        });
        const entries = Object.fromEntries(Object.entries(olds.entries ?? {}).filter(([key, secretName]) => present.has(`${key}/${secretName}`)));
        const props = { ...olds, entries, owned: owned.filter((entry) => present.has(entry)) };
        return { id, props, inputs: { entries, connection: olds.connection, fieldManager: olds.fieldManager, waitSeconds: olds.waitSeconds } };
    },
};

/**
 * Brings the cluster from `olds` to `news`: first adds every wanted entry
 * not in place yet (so a renamed Secret's new entry is in place before the
 * old one goes, and no Pod is ever without credentials), then removes the
 * entries we own that are no longer wanted. If any service account fails,
 * the entries this call added are taken out again and nothing is removed, so
 * the cluster stays as the state says and the error can be fixed and the
 * `up` run again.
 */
async function converge(olds: State, news: State): Promise<State> {
    const connection = usable(news.connection);
    const owned = new Set(olds.owned ?? []);
    const addedNow: EntryTarget[] = [];
    const failures: string[] = [];
    const settings = { fieldManager: news.fieldManager, waitSeconds: news.waitSeconds };

    // Only what is not in place already: an entry the state holds was there at the last
    // up or refresh (a refresh drops one someone removed, which brings it back here).
    const missing = Object.entries(news.entries).filter(([key, secretName]) => olds.entries?.[key] !== secretName);
    await forEachLimited(missing, async ([key, secretName]) => {
        const [namespace, serviceAccount] = key.split("/");
        const target = { namespace, serviceAccount, secretName };
        try {
            const result = await addEntry(connection, target, settings);
            if (result === "added") {
                addedNow.push(target);
            }
            if (result !== "theirs") {
                owned.add(entryId(target));
            }
        } catch (error) {
            failures.push(messageOf(error));
        }
    });
    if (failures.length > 0) {
        const undone: string[] = [];
        await forEachLimited(addedNow, async (target) => {
            await removeEntry(connection, target, news.fieldManager).catch(() => undone.push(`${target.namespace}/${target.serviceAccount}`));
        });
        const note = undone.length === 0 ? "Nothing was changed." : `Our entry could not be taken out again from: ${undone.join(", ")}.`;
        throw new Error(`${summarize("Adding our imagePullSecrets entry", failures)}\n${note}`);
    }

    const unwanted = [...owned].filter((id) => {
        const { namespace, serviceAccount, secretName } = parseId(id);
        return news.entries[`${namespace}/${serviceAccount}`] !== secretName;
    });
    await forEachLimited(unwanted, async (id) => {
        try {
            await removeEntry(connection, parseId(id), news.fieldManager);
            owned.delete(id);
        } catch (error) {
            failures.push(messageOf(error));
        }
    });
    if (failures.length > 0) {
        // The state keeps these as ours, so the next `up` tries again.
        throw new Error(summarize("Removing our imagePullSecrets entry", failures));
    }
    return { ...news, entries: { ...news.entries }, owned: [...owned].sort() };
}

function usable(connection: KubeConnection | UnusableConnection): KubeConnection {
    if ("unusable" in connection) {
        throw new Error(`cannot reach the service accounts: ${connection.unusable}`);
    }
    return connection;
}

function sameEntries(a: Record<string, string> = {}, b: Record<string, string> = {}): boolean {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

function entryId(target: EntryTarget): string {
    return `${target.namespace}/${target.serviceAccount}/${target.secretName}`;
}

function parseId(id: string): EntryTarget {
    const [namespace, serviceAccount, secretName] = id.split("/");
    return { namespace, serviceAccount, secretName };
}

function messageOf(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

function summarize(action: string, failures: string[]): string {
    const shown = failures.slice(0, 10).map((failure) => `  - ${failure}`);
    const more = failures.length > 10 ? [`  … and ${failures.length - 10} more`] : [];
    return [`${action} failed for ${failures.length} service account(s):`, ...shown, ...more].join("\n");
}

async function forEachLimited<T>(items: readonly T[], body: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            await body(items[next++]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}
