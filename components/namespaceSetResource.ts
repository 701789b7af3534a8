/**
 * The namespaces a component with label selectors rolled out to, kept in
 * Pulumi's state so that the next update can be compared with it: the one
 * thing a program cannot read on its own is what it declared last time.
 *
 * Its `check` is the removal guard. An update that would take the Secret
 * away from more than `maxRemovedShare` of those namespaces fails the check,
 * in the preview and in the update, naming the namespaces and the setting
 * that allows it; the component then fails the program, and the engine
 * deletes nothing a failed program left out. `pulumi preview --diff` shows
 * the namespaces added and removed, one line each.
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
}

interface State {
    readonly namespaces: string[];
    readonly maxRemovedShare: number;
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
            olds.namespaces === undefined
                ? undefined
                : removalRefusal(olds.namespaces, news.namespaces, news.maxRemovedShare);
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
