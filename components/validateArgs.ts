/**
 * Checks a RegistryCredentials' arguments, everything that is known when the
 * component is declared, and returns every problem, so that one run reports
 * them all. Logins and docker configs have their own modules; this one
 * checks names, namespaces, modes and the shape of `verifyLogins`.
 */
import { RegistryCredentialsArgs } from "./args";
import { closest } from "./closest";
import { DEPRECATED_KEYS } from "./deprecated";
import { describe, isPlainObject, kindOf, show } from "./describeValue";
import { MAX_FIELD_MANAGER_BYTES, isFieldManager } from "./names";
import { checkSelectors } from "./namespaceSelector";
import { Problem, Report, checkKnownKeys, collectProblems } from "./problems";
import { dockerConfigProblems } from "./validateDockerConfig";
import { DEFERRED, known, knownValues, loginProblems } from "./validateLogins";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_RULE =
    "a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters";
const SUBDOMAIN_RULE =
    "a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters";

// The settings each object takes, for "did you mean" on a misspelt one.
const ARG_KEYS = [
    "registries",
    "dockerConfigJson",
    "namespaces",
    "serviceAccounts",
    "secretName",
    "fieldManager",
    "attach",
    "serviceAccountWaitSeconds",
    "verifyLogins",
    "namespaceSelectors",
    "excludeNamespaces",
    "allowEmptySelection",
    "maxRemovedShare",
    ...DEPRECATED_KEYS,
];
const NAMESPACE_KEYS = ["name", "serviceAccounts", ...DEPRECATED_KEYS];
const VERIFY_LOGINS_KEYS = ["repository", "unreachable", "ca"];
// The distribution spec's repository name: lowercase path components joined by '/'.
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

const ATTACH_MODES = ["serviceAccounts", "admissionPolicy"];
const MAX_WAIT_SECONDS = 3600;
const ADMISSION_WITHOUT_ACCOUNTS =
    'is not used with attach: "admissionPolicy", which touches no service account (the policy adds the Secret to every new Pod in the namespace): remove it, or leave attach at "serviceAccounts"';

/**
 * Every problem with the arguments that is known now. Values given as
 * Outputs are checked by the component once they are known.
 */
export function validateArgs(componentName: string, args: RegistryCredentialsArgs): Problem[] {
    const { problems, report } = collectProblems();
    if (!isPlainObject(args)) {
        report("args", `must be an object with registries (or dockerConfigJson) and namespaces, not ${describe(args)}`);
        return problems;
    }
    checkKnownKeys(args, "", ARG_KEYS, report);

    const secretName = args.secretName ?? componentName;
    const secretPath = args.secretName === undefined ? "secretName (defaults to the component's name)" : "secretName";
    if (!isDnsSubdomain(secretName)) {
        report(
            secretPath,
            typeof secretName === "string"
                ? `${show(secretName)} is not a valid Secret name: it must be ${SUBDOMAIN_RULE}`
                : `must be a string, not ${describe(secretName)}`,
        );
    }

    checkCredentialSource(args, report);
    if (Array.isArray(args.registries)) {
        problems.push(...loginProblems(args.registries.map(knownValues)));
    }
    if (args.dockerConfigJson !== undefined && known(args.dockerConfigJson) !== DEFERRED) {
        problems.push(...dockerConfigProblems(args.dockerConfigJson));
    }

    checkNamespaces(args.namespaces, args.namespaceSelectors !== undefined, report);
    checkSelection(args, report);
    checkNames(args.serviceAccounts, "serviceAccounts", report);
    problems.push(...verifyLoginsProblems(args.verifyLogins));
    if (args.fieldManager !== undefined && !isFieldManager(args.fieldManager)) {
        report(
            "fieldManager",
            typeof args.fieldManager === "string"
                ? `${show(args.fieldManager)} is not a valid field manager: it must be 1 to ${MAX_FIELD_MANAGER_BYTES} bytes of printable characters`
                : `must be a string, not ${describe(args.fieldManager)}`,
        );
    }
    checkAttach(args, report);
    const waitSeconds = args.serviceAccountWaitSeconds;
    if (
        waitSeconds !== undefined &&
        !(
            typeof waitSeconds === "number" &&
            Number.isFinite(waitSeconds) &&
            waitSeconds >= 0 &&
            waitSeconds <= MAX_WAIT_SECONDS
        )
    ) {
        report(
            "serviceAccountWaitSeconds",
            `must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}, not ${describe(waitSeconds)}`,
        );
    }
    (Array.isArray(args.namespaces) ? args.namespaces : []).forEach((target, i) => {
        if (isPlainObject(target)) {
            const path = `namespaces[${i}]`;
            checkKnownKeys(target, path, NAMESPACE_KEYS, report);
            if (args.attach === "admissionPolicy" && target.serviceAccounts !== undefined) {
                report(`${path}.serviceAccounts`, ADMISSION_WITHOUT_ACCOUNTS);
            }
            checkNames(target.serviceAccounts, `${path}.serviceAccounts`, report);
        }
    });
    return problems;
}

/**
 * The way the Secret gets to Pods. In admission-policy mode a service
 * account list would be silently unused, so it is refused.
 */
function checkAttach(args: RegistryCredentialsArgs, report: Report) {
    if (args.attach !== undefined && !ATTACH_MODES.includes(args.attach as string)) {
        const suggestion = typeof args.attach === "string" ? closest(args.attach, ATTACH_MODES) : undefined;
        report(
            "attach",
            `must be "serviceAccounts" or "admissionPolicy", not ${describe(args.attach)}${suggestion === undefined ? "" : `; did you mean "${suggestion}"?`}`,
        );
    }
    if (args.attach === "admissionPolicy" && args.serviceAccounts !== undefined) {
        report("serviceAccounts", ADMISSION_WITHOUT_ACCOUNTS);
    }
}

/**
 * The shape of `verifyLogins` (verifyLogins.ts does the checking). The
 * messages never quote `ca`, which is long, but it holds no secret.
 */
export function verifyLoginsProblems(value: unknown): Problem[] {
    const { problems, report } = collectProblems();
    if (value === undefined || typeof value === "boolean") {
        return problems;
    }
    if (!isPlainObject(value)) {
        report("verifyLogins", `must be true, false or { repository?, unreachable?, ca? }, not ${show(value)}`);
        return problems;
    }
    checkKnownKeys(value, "verifyLogins", VERIFY_LOGINS_KEYS, report);
    const { repository, unreachable, ca } = value;
    const checkRepository = (path: string, name: unknown) => {
        if (!(typeof name === "string" && REPOSITORY.test(name))) {
            report(
                path,
                `${show(name)} is not a repository name: lowercase path components joined by '/', as in team/app (no registry host, no tag)`,
            );
        }
    };
    if (isPlainObject(repository)) {
        Object.entries(repository).forEach(([server, name]) =>
            checkRepository(`verifyLogins.repository[${JSON.stringify(server)}]`, name),
        );
    } else if (repository !== undefined) {
        checkRepository("verifyLogins.repository", repository);
    }
    if (unreachable !== undefined && unreachable !== "error" && unreachable !== "warn") {
        report("verifyLogins.unreachable", `must be "error" or "warn", not ${show(unreachable)}`);
    }
    if (ca !== undefined && (typeof ca !== "string" || !ca.includes("-----BEGIN CERTIFICATE-----"))) {
        report("verifyLogins.ca", "must be PEM text holding at least one -----BEGIN CERTIFICATE----- block");
    }
    return problems;
}

function checkCredentialSource(args: RegistryCredentialsArgs, report: Report) {
    const hasRegistries = args.registries !== undefined;
    const hasConfig = args.dockerConfigJson !== undefined;
    if (hasRegistries === hasConfig) {
        report(
            "registries",
            hasRegistries
                ? "give either registries or dockerConfigJson, not both"
                : "give the credentials: either registries (server, username, password) or dockerConfigJson (the contents of a docker config.json)",
        );
    } else if (hasRegistries && !Array.isArray(args.registries)) {
        report(
            "registries",
            `must be a list of registry logins ({ server, username, password }), not ${kindOf(args.registries)}`,
        );
    } else if (hasRegistries && args.registries!.length === 0) {
        report("registries", "must list at least one registry login");
    }
}

function checkNamespaces(namespaces: unknown, selects: boolean, report: Report) {
    if (namespaces === undefined) {
        if (!selects) {
            report(
                "namespaces",
                "is required: list the namespaces to put the pull secret in, or choose them by label with namespaceSelectors",
            );
        }
        return;
    }
    if (!Array.isArray(namespaces)) {
        report(
            "namespaces",
            `must be a list of namespaces, not ${describe(namespaces)}${typeof namespaces === "string" ? `; for one namespace, write [${show(namespaces)}]` : ""}`,
        );
        return;
    }
    if (namespaces.length === 0 && !selects) {
        report("namespaces", "must list at least one namespace, or choose them by label with namespaceSelectors");
        return;
    }
    const seen = new Map<string, number>();
    namespaces.forEach((target: unknown, i) => {
        let name: unknown = target;
        let path = `namespaces[${i}]`;
        if (isPlainObject(target)) {
            name = target.name;
            path = `namespaces[${i}].name`;
            if (name === undefined) {
                report(
                    path,
                    'is required: a namespace given as an object needs its name, as { name: "team-a", serviceAccounts: ["default"] }',
                );
                return;
            }
        } else if (typeof target !== "string") {
            report(path, `must be a namespace name or an object { name, serviceAccounts? }, not ${describe(target)}`);
            return;
        }
        if (!isDnsLabel(name)) {
            report(
                path,
                typeof name === "string"
                    ? `${show(name)} is not a valid namespace name: it must be ${LABEL_RULE}`
                    : `must be a string, not ${describe(name)}`,
            );
            return;
        }
        const first = seen.get(name);
        if (first !== undefined) {
            report(path, `namespace ${show(name)} is listed twice (also at namespaces[${first}])`);
        }
        seen.set(name, first ?? i);
    });
}

/**
 * Choosing namespaces by label: the selectors' shape (namespaceSelector.ts),
 * and the settings that only mean something beside them.
 */
function checkSelection(args: RegistryCredentialsArgs, report: Report) {
    checkSelectors(args.namespaceSelectors, report);
    const selects = args.namespaceSelectors !== undefined;
    const withoutSelectors = (key: string) =>
        report(key, "only applies to namespaces chosen by label: give namespaceSelectors, or remove it");
    const exclude = args.excludeNamespaces as unknown;
    if (exclude !== undefined) {
        if (!selects) {
            withoutSelectors("excludeNamespaces");
        } else if (!Array.isArray(exclude)) {
            report("excludeNamespaces", `must be a list of namespace names, not ${describe(exclude)}`);
        } else {
            const listed = new Set(
                (Array.isArray(args.namespaces) ? args.namespaces : []).map((target) =>
                    typeof target === "string" ? target : target?.name,
                ),
            );
            exclude.forEach((name: unknown, i) => {
                if (!isDnsLabel(name)) {
                    report(
                        `excludeNamespaces[${i}]`,
                        typeof name === "string"
                            ? `${show(name)} is not a valid namespace name: it must be ${LABEL_RULE}`
                            : `must be a string, not ${describe(name)}`,
                    );
                } else if (listed.has(name)) {
                    report(
                        `excludeNamespaces[${i}]`,
                        `namespace ${show(name)} is also listed in namespaces; exclusion applies to selected namespaces only, so remove it from one of the two`,
                    );
                }
            });
        }
    }
    if (args.allowEmptySelection !== undefined) {
        if (!selects) {
            withoutSelectors("allowEmptySelection");
        } else if (typeof args.allowEmptySelection !== "boolean") {
            report("allowEmptySelection", `must be true or false, not ${describe(args.allowEmptySelection)}`);
        }
    }
    const share = args.maxRemovedShare as unknown;
    if (share !== undefined) {
        if (!selects) {
            withoutSelectors("maxRemovedShare");
        } else if (!(typeof share === "number" && Number.isFinite(share) && share >= 0 && share <= 1)) {
            report(
                "maxRemovedShare",
                `must be a number from 0 to 1 (the share of the namespaces one update may remove; 1 allows any), not ${describe(share)}`,
            );
        }
    }
}

/** Service-account names: Kubernetes checks them as DNS-1123 subdomains, so dots are allowed. */
function checkNames(names: unknown, path: string, report: Report) {
    if (names === undefined) {
        return;
    }
    if (!Array.isArray(names)) {
        report(path, `must be a list of service account names, not ${describe(names)}`);
        return;
    }
    const seen = new Map<string, number>();
    names.forEach((name: unknown, i) => {
        if (!isDnsSubdomain(name)) {
            report(
                `${path}[${i}]`,
                typeof name === "string"
                    ? `${show(name)} is not a valid service account name: it must be ${SUBDOMAIN_RULE}`
                    : `must be a string, not ${describe(name)}`,
            );
            return;
        }
        const first = seen.get(name);
        if (first !== undefined) {
            report(`${path}[${i}]`, `service account ${show(name)} is listed twice (also at ${path}[${first}])`);
        }
        seen.set(name, first ?? i);
    });
}

function isDnsLabel(value: unknown): value is string {
    return typeof value === "string" && value.length <= 63 && DNS1123_LABEL.test(value);
}

function isDnsSubdomain(value: unknown): value is string {
    return typeof value === "string" && value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}
