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
    const readme = fs.readFileSync(README, "utf8");
    const section = readme.slice(readme.indexOf("\n## RBAC"));
    const block = /```yaml\n([\s\S]*?)```/.exec(section);
    assert.ok(block, "the README's RBAC section has a yaml block");
    return block[1].replace(/<namespace>/g, namespace).replace(/<deployer>/g, user);
}

export function apply(cluster: Cluster, manifest: string): void {
    const result = kubectl(cluster, ["apply", "-f", "-"], { input: manifest });
    assert.equal(result.status, 0, `kubectl apply: ${result.stderr}`);
}

/** Grants `user` the README's role in `namespace`. */
export function applyReadmeRbac(cluster: Cluster, namespace: string, user: string): void {
    apply(cluster, readmeRbac(namespace, user));
}
