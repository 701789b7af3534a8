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
import { addEntry, entryId, entryKey, hasEntry, parseEntryId, parseKey, removeEntry } from "./serviceAccountEntry";

export interface ServiceAccountEntriesArgs {
    /** `namespace/serviceAccount` → the Secret whose entry it gets. */
    readonly entries: pulumi.Input<Record<string, string>>;
    /**
     * Namespaces whose entries are left exactly as they are: their Secret did
     * not land in this update, or the namespace cannot take one. Their
     * entries are neither added nor removed, so no service account ever
     * names a Secret that is not there, and nothing that works is taken away.
     */
    readonly held: pulumi.Input<string[]>;
    readonly connection: pulumi.Input<KubeConnection | UnusableConnection>;
    readonly fieldManager: pulumi.Input<string>;
    readonly waitSeconds: pulumi.Input<number>;
}

/** The resource's state, as the provider reads and writes it. */
interface State {
    /** The wanted entries that are in place (after a refresh: those still there). */
    readonly entries: Record<string, string>;
    readonly held: string[];
    readonly connection: KubeConnection | UnusableConnection;
    readonly fieldManager: string;
    readonly waitSeconds: number;
    /** `namespace/serviceAccount/secretName` of each entry we added, and so may remove. */
    readonly owned: string[];
    /** `namespace/serviceAccount` → why its entry could not be added or removed in the last update; the next one tries again. */
    readonly failures: Record<string, string>;
}

/** At most this many requests in flight: enough to hide latency, few enough to spare the API server. */
const CONCURRENCY = 32;

export class ServiceAccountEntries extends pulumi.dynamic.Resource {
    // `declare`: the SDK sets these outputs in the base constructor, and a class field would reset them to undefined.
    /** The entries in place, by `namespace/serviceAccount`. */
    declare public readonly entries: pulumi.Output<Record<string, string>>;
    /** The entries this resource added, and will remove on delete. */
    declare public readonly owned: pulumi.Output<string[]>;
    /** The service accounts whose entry could not be written in this update, with why, by `namespace/serviceAccount`. */
    declare public readonly failures: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: ServiceAccountEntriesArgs, opts: pulumi.CustomResourceOptions) {
        super(
            entriesProvider,
            name,
            { ...args, owned: undefined, failures: undefined },
            { ...opts, additionalSecretOutputs: ["connection"] },
            "registry-credentials",
            "ServiceAccountEntries",
        );
    }
}

/** The provider, exported for its tests (test/entriesResource.test.ts). */
export const entriesProvider: pulumi.dynamic.ResourceProvider = {
    /** A held namespace keeps the entries it had, so that its hold shows as no change at all. */
    async check(olds: Partial<State>, news: State) {
        const held = new Set(news.held ?? []);
        const keep = (entries: Record<string, string> | undefined, wantHeld: boolean) =>
            Object.entries(entries ?? {}).filter(([key]) => held.has(parseKey(key).namespace) === wantHeld);
        const entries = Object.fromEntries(
            [...keep(news.entries, false), ...keep(olds.entries, true)].sort(([a], [b]) =>
                a < b ? -1 : a > b ? 1 : 0,
            ),
        );
        return { inputs: { ...news, entries } };
    },

    async diff(_id: string, olds: State, news: State) {
        // During a preview, a provider setting left unset reads as unknown,
        // and so does the connection built from it (it arrives as Pulumi's
        // unknown marker, a string): that alone is no reason to update.
        const connectionKnown = typeof news.connection === "object";
        const changed =
            !sameEntries(olds.entries, news.entries) ||
            Object.keys(olds.failures ?? {}).length > 0 ||
            olds.fieldManager !== news.fieldManager ||
            olds.waitSeconds !== news.waitSeconds ||
            (connectionKnown && JSON.stringify(olds.connection) !== JSON.stringify(news.connection));
        return { changes: changed, replaces: [] };
    },

    async create(inputs: State) {
        const outs = await converge({ ...inputs, entries: {}, owned: [], failures: {} }, inputs);
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
                await removeEntry(connection, parseEntryId(id), olds.fieldManager);
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
        const idOf = ([key, secretName]: [string, string]) => entryId({ ...parseKey(key), secretName });
        const wanted = Object.entries(olds.entries ?? {}).map(idOf);
        const connection = usable(olds.connection);
        const present = new Set<string>();
        await forEachLimited([...new Set([...wanted, ...owned])], async (entry) => {
            if (await hasEntry(connection, parseEntryId(entry))) {
                present.add(entry);
            }
        });
        const entries = Object.fromEntries(
            Object.entries(olds.entries ?? {}).filter((entry) => present.has(idOf(entry))),
        );
        const props = { ...olds, entries, owned: owned.filter((entry) => present.has(entry)) };
        const inputs = {
            entries,
            held: olds.held ?? [],
            connection: olds.connection,
            fieldManager: olds.fieldManager,
            waitSeconds: olds.waitSeconds,
        };
        return { id, props, inputs };
    },
};

/**
 * Brings the cluster from `olds` to `news`, one service account at a time
 * and each on its own: first adds every wanted entry not in place yet (so a
 * renamed Secret's new entry is in place before the old one goes, and no Pod
 * is ever without credentials), then removes the entries we own that are no
 * longer wanted. Held namespaces are not touched.
 *
 * A service account that fails (missing, forbidden, raced too often) holds
 * back no other: its failure is recorded in `failures` and its entry left
 * out of `entries`, so the state says what is in place, the component
 * reports it, and the next `up` tries it again. Only an update that fails as
 * a whole would leave the state behind the cluster, so nothing here throws.
 */
async function converge(olds: State, news: State): Promise<State> {
    const held = new Set(news.held ?? []);
    const owned = new Set(olds.owned ?? []);
    const failures: Record<string, string> = {};
    const settings = { fieldManager: news.fieldManager, waitSeconds: news.waitSeconds };

    // Only what is not in place already: an entry the state holds was there at the last
    // up or refresh (a refresh drops one someone removed, which brings it back here).
    const missing = Object.entries(news.entries).filter(
        ([key, secretName]) => olds.entries?.[key] !== secretName && !held.has(parseKey(key).namespace),
    );
    const unwanted = [...owned].filter((id) => {
        const { namespace, serviceAccount, secretName } = parseEntryId(id);
        return !held.has(namespace) && news.entries[entryKey(namespace, serviceAccount)] !== secretName;
    });
    if (missing.length + unwanted.length > 0 && "unusable" in news.connection) {
        const reason = `cannot reach the service accounts: ${news.connection.unusable}`;
        for (const key of [...missing.map(([key]) => key), ...unwanted.map((id) => keyOf(id))]) {
            failures[key] = reason;
        }
        return settled(news, owned, failures);
    }
    const connection = news.connection as KubeConnection;

    await forEachLimited(missing, async ([key, secretName]) => {
        const target = { ...parseKey(key), secretName };
        try {
            const result = await addEntry(connection, target, settings);
            if (result !== "theirs") {
                owned.add(entryId(target));
            }
        } catch (error) {
            failures[key] = messageOf(error);
        }
    });

    await forEachLimited(unwanted, async (id) => {
        // The new entry of a renamed Secret failed: keep the old one, so the account still names a Secret.
        if (failures[keyOf(id)] !== undefined) {
            return;
        }
        try {
            await removeEntry(connection, parseEntryId(id), news.fieldManager);
            owned.delete(id);
        } catch (error) {
            // The state keeps it as ours, so the next `up` tries again.
            failures[keyOf(id)] = messageOf(error);
        }
    });
    return settled(news, owned, failures);
}

/** The state after an update: the wanted entries less those that failed. */
function settled(news: State, owned: Set<string>, failures: Record<string, string>): State {
    const entries = Object.fromEntries(Object.entries(news.entries).filter(([key]) => failures[key] === undefined));
    return { ...news, entries, owned: [...owned].sort(), failures };
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

/** `namespace/serviceAccount` of an owned entry's id. */
function keyOf(id: string): string {
    const { namespace, serviceAccount } = parseEntryId(id);
    return entryKey(namespace, serviceAccount);
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
