import { createHash } from "crypto";

/**
 * The logical name of a child resource. It is built from the component's
 * name, the namespace and the service account and nothing else, so that
 * adding, removing or reordering other namespaces never renames (and so never
 * replaces) a namespace's resources. `/` cannot occur in a Kubernetes name,
 * which keeps `a-b` + `c` apart from `a` + `b-c`.
 */
export function childName(component: string, namespace: string, serviceAccount?: string): string {
    return serviceAccount === undefined
        ? `${component}/${namespace}`
        : `${component}/${namespace}/${serviceAccount}`;
}

/** The key of a patch in `serviceAccountPatches`. */
export function patchKey(namespace: string, serviceAccount: string): string {
    return `${namespace}/${serviceAccount}`;
}

/** The API server rejects field managers longer than this. */
export const MAX_FIELD_MANAGER_LENGTH = 128;

/**
 * The default field manager: recognisable in a conflict error or in
 * `kubectl get -o yaml --show-managed-fields`, and stable for as long as the
 * project, stack and component keep their names. A name too long for the API
 * server keeps its start and ends with a hash of the whole.
 */
export function defaultFieldManager(project: string, stack: string, component: string): string {
    const name = `regcred/${project}/${stack}/${component}`;
    if (name.length <= MAX_FIELD_MANAGER_LENGTH) {
        return name;
    }
    const hash = createHash("sha256").update(name).digest("hex").slice(0, 12);
    return `${name.slice(0, MAX_FIELD_MANAGER_LENGTH - hash.length - 1)}-${hash}`;
}
