/**
 * Which namespaces a component's label selectors choose: Kubernetes' own
 * `LabelSelector` (matchLabels and matchExpressions, ANDed), several of them
 * ORed as in External Secrets' `ClusterExternalSecret.namespaceSelectors`,
 * minus an exclusion list and the system namespaces, resolved against one
 * list of the cluster's namespaces (clusterCheck.ts reads it).
 *
 * Pure: the checks of the arguments, the matching and the selection, so that
 * each rule has a unit test and the component only reports what this says.
 */
import { describe, isPlainObject, show } from "./describeValue";
import { Report, checkKnownKeys } from "./problems";

/** One requirement on a label, as in a Kubernetes `LabelSelectorRequirement`. */
export interface LabelSelectorRequirement {
    /** The label's key, such as `team` or `example.com/tier`. */
    readonly key: string;
    /** `In` and `NotIn` need `values`; `Exists` and `DoesNotExist` take none. */
    readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
    /** The values `In` and `NotIn` compare the label's value with; left out for `Exists` and `DoesNotExist`. */
    readonly values?: string[];
}

/**
 * A Kubernetes `LabelSelector`: a namespace matches when it has every label
 * in `matchLabels` and meets every requirement in `matchExpressions`. `{}`
 * matches every namespace (but the system ones, which are never selected).
 */
export interface LabelSelector {
    /** Labels a namespace must have, each with exactly this value. */
    readonly matchLabels?: Record<string, string>;
    /** Requirements a namespace must meet, all of them. */
    readonly matchExpressions?: LabelSelectorRequirement[];
}

/** A namespace as the selection sees it, from the cluster's list. */
export interface ClusterNamespace {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    /** Set when the namespace is being deleted: since when, or `"yes"` when the API server did not say. */
    readonly terminating?: string;
}

/**
 * Namespaces a selector never chooses; list one in `namespaces` to roll out
 * to it anyway. The three that every cluster has hold the control plane's
 * own objects (kube-system's Pods pull with node credentials, and
 * kube-node-lease and kube-public hold no Pods of yours), and so do
 * OpenShift's `openshift` and `openshift-*` namespaces, which its operators
 * own and reconcile. A selector as broad as `{}` must not write there.
 */
export const SYSTEM_NAMESPACES: readonly string[] = ["kube-system", "kube-public", "kube-node-lease", "openshift"];
export const SYSTEM_PREFIXES: readonly string[] = ["openshift-"];

/** Whether a selector skips the namespace for being the platform's own. */
export function isSystemNamespace(name: string): boolean {
    return SYSTEM_NAMESPACES.includes(name) || SYSTEM_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * The share of the namespaces of the last update that one update may remove
 * without `maxRemovedShare` saying more. A label migration, a typo in a
 * selector or a list that went wrong takes away most or all of a fleet at
 * once; a team relabelling or deleting its namespaces takes away a few. A
 * quarter lets a fleet shrink by a team or two per update and stops the
 * accident at the preview; removing a single namespace is always allowed,
 * so that a stack of two or three namespaces can still lose one.
 */
export const DEFAULT_MAX_REMOVED_SHARE = 0.25;

const OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"];
const SELECTOR_KEYS = ["matchLabels", "matchExpressions"];
const REQUIREMENT_KEYS = ["key", "operator", "values"];
// k8s.io/apimachinery validation: a qualified name's name part, and a label value.
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KEY_RULE =
    "a label key: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
const VALUE_RULE =
    "a label value: empty, or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

/** Every problem with `namespaceSelectors`, reported at `namespaceSelectors[i]...`. */
export function checkSelectors(selectors: unknown, report: Report): void {
    if (selectors === undefined) {
        return;
    }
    if (!Array.isArray(selectors)) {
        report(
            "namespaceSelectors",
            `must be a list of label selectors ({ matchLabels?, matchExpressions? }, ORed), not ${describe(selectors)}${isPlainObject(selectors) ? "; for one selector, write [selector]" : ""}`,
        );
        return;
    }
    if (selectors.length === 0) {
        report(
            "namespaceSelectors",
            "must list at least one label selector; leave it out to roll out to the listed namespaces only",
        );
    }
    selectors.forEach((selector: unknown, i) => {
        const path = `namespaceSelectors[${i}]`;
        if (!isPlainObject(selector)) {
            report(path, `must be a label selector { matchLabels?, matchExpressions? }, not ${describe(selector)}`);
            return;
        }
        checkKnownKeys(selector, path, SELECTOR_KEYS, report);
        const { matchLabels, matchExpressions } = selector;
        if (matchLabels !== undefined) {
            if (!isPlainObject(matchLabels)) {
                report(`${path}.matchLabels`, `must be a map of label keys to values, not ${describe(matchLabels)}`);
            } else {
                for (const [key, value] of Object.entries(matchLabels)) {
                    checkKey(key, `${path}.matchLabels`, report);
                    checkValue(value, `${path}.matchLabels[${JSON.stringify(key)}]`, report);
                }
            }
        }
        if (matchExpressions !== undefined) {
            if (!Array.isArray(matchExpressions)) {
                report(
                    `${path}.matchExpressions`,
                    `must be a list of { key, operator, values? }, not ${describe(matchExpressions)}`,
                );
            } else {
                matchExpressions.forEach((requirement: unknown, j) =>
                    checkRequirement(requirement, `${path}.matchExpressions[${j}]`, report),
                );
            }
        }
    });
}

function checkRequirement(requirement: unknown, path: string, report: Report): void {
    if (!isPlainObject(requirement)) {
        report(path, `must be { key, operator, values? }, not ${describe(requirement)}`);
        return;
    }
    checkKnownKeys(requirement, path, REQUIREMENT_KEYS, report);
    const { key, operator, values } = requirement;
    checkKey(key, path, report);
    if (!OPERATORS.includes(operator as string)) {
        report(`${path}.operator`, `must be one of ${OPERATORS.join(", ")}, not ${describe(operator)}`);
        return;
    }
    const needsValues = operator === "In" || operator === "NotIn";
    if (needsValues && !(Array.isArray(values) && values.length > 0)) {
        report(`${path}.values`, `must list at least one value for operator ${operator}, not ${describe(values)}`);
    } else if (!needsValues && values !== undefined && !(Array.isArray(values) && values.length === 0)) {
        report(`${path}.values`, `must be left out for operator ${operator}, which looks at the key alone`);
    }
    if (Array.isArray(values)) {
        values.forEach((value: unknown, k) => checkValue(value, `${path}.values[${k}]`, report));
    }
}

function checkKey(key: unknown, path: string, report: Report): void {
    const at = path.endsWith(".matchLabels") ? path : `${path}.key`;
    if (typeof key !== "string") {
        report(at, `must be a label key, not ${describe(key)}`);
        return;
    }
    const slash = key.indexOf("/");
    const prefix = slash === -1 ? undefined : key.slice(0, slash);
    const name = slash === -1 ? key : key.slice(slash + 1);
    const validPrefix = prefix === undefined || (prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix));
    if (!(validPrefix && name.length <= 63 && NAME_PART.test(name))) {
        report(at, `${show(key)} is not a valid label key: it must be ${KEY_RULE}`);
    }
}

function checkValue(value: unknown, path: string, report: Report): void {
    if (typeof value !== "string") {
        report(path, `must be a string label value, not ${describe(value)}`);
    } else if (!(value === "" || (value.length <= 63 && NAME_PART.test(value)))) {
        report(path, `${show(value)} is not a valid label value: it must be ${VALUE_RULE}`);
    }
}

/** Whether a namespace's labels meet the selector, by Kubernetes' rules. */
export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
    const has = (key: string) => Object.prototype.hasOwnProperty.call(labels, key);
    const byLabels = Object.entries(selector.matchLabels ?? {}).every(
        ([key, value]) => has(key) && labels[key] === value,
    );
    return (
        byLabels &&
        (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
            switch (operator) {
                case "In":
                    return has(key) && values.includes(labels[key]);
                case "NotIn":
                    return !has(key) || !values.includes(labels[key]);
                case "Exists":
                    return has(key);
                case "DoesNotExist":
                    return !has(key);
            }
            return false;
        })
    );
}

/** A selector as kubectl's `-l` writes one: `team=a,tier in (web,api),!legacy`; `{}` is "every namespace". */
export function selectorText(selector: LabelSelector): string {
    const parts = [
        ...Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`),
        ...(selector.matchExpressions ?? []).map(({ key, operator, values = [] }) =>
            operator === "Exists"
                ? key
                : operator === "DoesNotExist"
                  ? `!${key}`
                  : `${key} ${operator === "In" ? "in" : "notin"} (${values.join(",")})`,
        ),
    ];
    return parts.length === 0 ? "every namespace" : parts.join(",");
}

/** What a component selects by label. */
export interface Selection {
    readonly selectors: readonly LabelSelector[];
    /** Never selected, whatever their labels. */
    readonly exclude?: readonly string[];
    /** The namespaces listed in `namespaces`: declared as listed, with their own service accounts. */
    readonly listed: readonly string[];
    /** Whether selectors that match no namespace are fine. */
    readonly allowEmpty?: boolean;
}

/** The namespaces the selectors add to the listed ones, and what was left out and why. */
export interface SelectionResult {
    /** Selected and not listed, sorted: each gets the Secret and the component's service accounts. */
    readonly selected: string[];
    /** Namespaces the selectors match that are being deleted, skipped this time, with the note that says so. */
    readonly skipped: Readonly<Record<string, string>>;
    /** Set when the selectors match no namespace and that was not allowed: the error, naming the selectors. */
    readonly empty?: string;
}

/** Resolves a selection against the cluster's namespaces. */
export function selectNamespaces(selection: Selection, cluster: readonly ClusterNamespace[]): SelectionResult {
    const listed = new Set(selection.listed);
    const excluded = new Set(selection.exclude ?? []);
    const matched = cluster.filter(
        ({ name, labels }) =>
            !excluded.has(name) &&
            (listed.has(name) || !isSystemNamespace(name)) &&
            selection.selectors.some((selector) => matchesSelector(selector, labels)),
    );
    const skipped: Record<string, string> = {};
    const selected: string[] = [];
    for (const namespace of matched) {
        if (listed.has(namespace.name)) {
            continue; // declared once, as listed
        }
        if (namespace.terminating !== undefined) {
            skipped[namespace.name] =
                `matches the selectors but is being deleted${namespace.terminating === "yes" ? "" : ` (since ${namespace.terminating})`}: skipped, and its Secret, if it had one, goes with the namespace`;
        } else {
            selected.push(namespace.name);
        }
    }
    const empty =
        matched.length === 0 && !selection.allowEmpty
            ? `namespaceSelectors match no namespace (${selection.selectors.map((selector) => `"${selectorText(selector)}"`).join(" or ")}` +
              `${excluded.size > 0 ? `, excluding ${[...excluded].join(", ")}` : ""}; system namespaces are never selected). ` +
              "Check the labels with `kubectl get namespaces --show-labels`; if no namespace is meant to match yet, set allowEmptySelection: true"
            : undefined;
    return { selected: selected.sort(), skipped, ...(empty === undefined ? {} : { empty }) };
}

/**
 * Why an update may not remove this many namespaces at once, or undefined
 * when it may: more than `maxShare` of the namespaces the last update rolled
 * out to, and more than one. Names the setting that allows it.
 */
export function removalRefusal(
    previous: readonly string[],
    next: readonly string[],
    maxShare: number = DEFAULT_MAX_REMOVED_SHARE,
): string | undefined {
    const kept = new Set(next);
    const removed = previous.filter((namespace) => !kept.has(namespace));
    if (removed.length <= 1 || removed.length <= maxShare * previous.length) {
        return undefined;
    }
    const shown = removed.slice(0, 10).join(", ") + (removed.length > 10 ? `, … (${removed.length - 10} more)` : "");
    const percent = (share: number) => `${Math.round(share * 1000) / 10}%`;
    return (
        `this update would remove the pull Secret from ${removed.length} of the ${previous.length} namespaces it is in ` +
        `(${percent(removed.length / previous.length)}; ${shown}), more than maxRemovedShare allows (${percent(maxShare)}). ` +
        "Nothing was removed. If a selector or its labels changed by mistake, fix them; if the removal is meant, " +
        `run this update with maxRemovedShare: 1 (or at least ${Math.ceil((removed.length / previous.length) * 100) / 100}), then set it back`
    );
}
