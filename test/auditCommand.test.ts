/**
 * `npm run audit`'s output for people and its exit status for CI: a table
 * that names every finding on one line, and a status that gates.
 */
import { strict as assert } from "assert";
import { AuditReport } from "../components";
import { ClusterAudit, auditStatus, auditTable } from "../stacks/audit";

const clean: AuditReport = { namespaces: ["shop", "search"], workloads: 4, images: 5, findings: [] };
const uncovered: AuditReport = {
    ...clean,
    findings: [
        {
            namespace: "shop",
            object: "Deployment/build",
            container: "app",
            image: "ghcr.io/acme/build:1",
            problem: "not-covered",
            reason: "its service account ci has no pull secret for ghcr.io",
        },
        { namespace: "search", object: "Secret/regcred", problem: "secret-stale", reason: "its content differs" },
    ],
};

describe("npm run audit", () => {
    it("exits 0 when everything is covered, 1 when something is not, 2 when a cluster could not be read", () => {
        const ok: ClusterAudit = { cluster: "eu", report: clean };
        assert.equal(auditStatus([ok]), 0);
        assert.equal(auditStatus([ok, { cluster: "us", report: uncovered }]), 1);
        assert.equal(
            auditStatus([
                { cluster: "us", report: uncovered },
                { cluster: "ap", error: "refused" },
            ]),
            2,
        );
    });

    it("prints a summary per cluster and one aligned row per finding", () => {
        const table = auditTable([
            { cluster: "eu", report: clean },
            { cluster: "us", report: uncovered },
            { cluster: "ap", error: "cannot list pods (HTTP 403)" },
        ]);
        assert.deepEqual(table.split("\n"), [
            "eu: 2 namespaces in scope, 4 workloads, 5 images from the stack's registries: everything is in place and covered",
            "",
            "us: 2 namespaces in scope, 4 workloads, 5 images from the stack's registries: 2 problems",
            "  NAMESPACE  OBJECT            CONTAINER  IMAGE                 PROBLEM",
            "  shop       Deployment/build  app        ghcr.io/acme/build:1  not-covered: its service account ci has no pull secret for ghcr.io",
            "  search     Secret/regcred    -          -                     secret-stale: its content differs",
            "",
            "ap: not audited: cannot list pods (HTTP 403)",
            "",
        ]);
    });
});
