/**
 * The namespaces a component with label selectors rolled out to, kept in
 * Pulumi's state so that the next update can be compared with it: the one
 * thing a program cannot read on its own is what it declared last time.
 *
 * Its `check` is the guard of the selection. An update that would take the
 * Secret away from more than `maxRemovedShare` of those namespaces fails the
 * check, in the preview and in the update, naming the namespaces and the
 * setting that allows it; so does one whose selectors could not be resolved
 * (`refusal`). A failed check stops the whole deployment before any delete:
 * the engine treats the resource as invalid and bails. (An error the program
 * merely logs does not: the SDK signals the engine that the program is done
 * before it reports the error, and the engine deletes whatever the program
 * left out.) `pulumi preview --diff` shows the namespaces added and removed,
 * one line each.
 *
 * A dynamic resource with no side effects: create and update only store
 * their inputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { removalRefusal } from "./namespaceSelector";

export interface NamespaceSetArgs {
    /** Every namespace the component declares a Secret in, listed and selected, sorted. */
    readonly namespaces: pulumi.Input<string[]>;
    /** The share of the last update's namespaces this update may remove. */
    readonly maxRemovedShare: pulumi.Input<number>;
    /**
     * Set when the selection could not be resolved (the list failed, or the
     * selectors matched nothing): why. The check then fails with it, whatever
     * the namespaces.
     */
    readonly refusal?: pulumi.Input<string>;
}

interface State {
    readonly namespaces: string[];
    readonly maxRemovedShare: number;
    readonly refusal?: string;
}

export class NamespaceSet extends pulumi.dynamic.Resource {
    declare public readonly namespaces: pulumi.Output<string[]>;

    constructor(name: string, args: NamespaceSetArgs, opts: pulumi.CustomResourceOptions) {
        super(namespaceSetProvider, name, args, opts, "registry-credentials", "NamespaceSet");
    }
}

/** The provider, exported for its tests (test/namespaceSelection.test.ts). */
export const namespaceSetProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: Partial<State>, news: State) {
        const refusal =
            news.refusal ??
            (olds.namespaces === undefined
                ? undefined
                : removalRefusal(olds.namespaces, news.namespaces, news.maxRemovedShare));
        return refusal === undefined
            ? { inputs: news }
            : { inputs: news, failures: [{ property: "namespaces", reason: refusal }] };
    },

    async diff(_id: string, olds: State, news: State) {
        const changed =
            JSON.stringify(olds.namespaces) !== JSON.stringify(news.namespaces) ||
            olds.maxRemovedShare !== news.maxRemovedShare;
        return { changes: changed, replaces: [] };
    },

    async create(inputs: State) {
        return { id: "namespaces", outs: inputs };
    },

    async update(_id: string, _olds: State, news: State) {
        return { outs: news };
    },
};
