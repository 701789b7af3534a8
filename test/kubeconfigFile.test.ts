/**
 * The stacks' providers and a KUBECONFIG that lists several files, as kubectl
 * allows and the provider does not.
 */
import "./mocks";
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadStackProgram } from "./mocks";

function kubeconfigFile(dir: string, name: string, contexts: string[], current?: string): string {
    const file = path.join(dir, name);
    const doc = { apiVersion: "v1", kind: "Config", "current-context": current ?? "", contexts: contexts.map((context) => ({ name: context, context: { cluster: context, user: context } })) };
    fs.writeFileSync(file, JSON.stringify(doc));
    return file;
}

describe("a KUBECONFIG listing several files", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfigs-"));
    const eu = kubeconfigFile(dir, "eu.yaml", ["prod-eu-west-1"], "prod-eu-west-1");
    const us = kubeconfigFile(dir, "us.yaml", ["prod-us-east-1", "staging"]);
    const list = [path.join(dir, "missing.yaml"), eu, us].join(path.delimiter);

    it("gives each provider the file that defines its context", async () => {
        const { kubeconfigFileFor } = await loadStackProgram();
        assert.equal(kubeconfigFileFor("prod-eu-west-1", list), eu);
        assert.equal(kubeconfigFileFor("staging", list), us);
    });

    it("gives the current context's file when no context is named", async () => {
        const { kubeconfigFileFor } = await loadStackProgram();
        assert.equal(kubeconfigFileFor(undefined, list), eu);
    });

    it("leaves the provider to its defaults with one file, none, or no file that defines the context", async () => {
        const { kubeconfigFileFor } = await loadStackProgram();
        assert.equal(kubeconfigFileFor("prod-eu-west-1", eu), undefined);
        assert.equal(kubeconfigFileFor("prod-eu-west-1", ""), undefined);
        assert.equal(kubeconfigFileFor("prod-eu-west-1", undefined), undefined);
        assert.equal(kubeconfigFileFor("elsewhere", list), undefined);
    });
});
