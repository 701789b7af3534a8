/**
 * The README's least-privilege deployer role (the yaml block under
 * "## RBAC"), applied as the README says: one RoleBinding per namespace.
 * The tests use the README's own text, so the README cannot drift from what
 * was tested.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { Cluster } from "../../testcluster/controlPlane";
import { kubectl } from "../../testcluster/kubectl";

const README = path.join(__dirname, "..", "..", "README.md");

/** The README's RBAC manifests, with the deployer's namespace and user filled in. */
export function readmeRbac(namespace: string, user: string): string {
    return rbacBlock(0)
        .replace(/<namespace>/g, namespace)
        .replace(/<deployer>/g, user);
}

/** The README's one extra grant for namespaceSelectors (its second yaml block), for `user`. */
export function readmeSelectorRbac(user: string): string {
    return rbacBlock(1).replace(/<deployer>/g, user);
}

/** The README's read-only grant for the audit (its third yaml block), for `user`. */
export function readmeAuditRbac(user: string): string {
    return rbacBlock(2).replace(/<auditor>/g, user);
}

/** The `index`th yaml block of the README's RBAC section. */
function rbacBlock(index: number): string {
    const readme = fs.readFileSync(README, "utf8");
    const start = readme.indexOf("\n## RBAC");
    const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
    const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]);
    assert.ok(blocks[index] !== undefined, `the README's RBAC section has no yaml block ${index + 1}`);
    return blocks[index];
}

export function apply(cluster: Cluster, manifest: string): void {
    const result = kubectl(cluster, ["apply", "-f", "-"], { input: manifest });
    assert.equal(result.status, 0, `kubectl apply: ${result.stderr}`);
}

/** Grants `user` the README's role in `namespace`. */
export function applyReadmeRbac(cluster: Cluster, namespace: string, user: string): void {
    apply(cluster, readmeRbac(namespace, user));
}
