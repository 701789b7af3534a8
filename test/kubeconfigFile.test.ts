/**
 * The stacks' providers and a KUBECONFIG that lists several files, as kubectl
 * allows and the provider does not.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { currentContext, kubeconfigFileFor, kubeconfigFiles } from "../components/kubeconfig";

function kubeconfigFile(dir: string, name: string, contexts: string[], current?: string): string {
    const file = path.join(dir, name);
    const doc = {
        apiVersion: "v1",
        kind: "Config",
        "current-context": current ?? "",
        contexts: contexts.map((context) => ({ name: context, context: { cluster: context, user: context } })),
    };
    fs.writeFileSync(file, JSON.stringify(doc));
    return file;
}

describe("the kubeconfig as kubectl reads it", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfigs-"));
    const eu = kubeconfigFile(dir, "eu.yaml", ["prod-eu-west-1"], "prod-eu-west-1");
    const us = kubeconfigFile(dir, "us.yaml", ["prod-us-east-1", "staging"]);
    const list = [path.join(dir, "missing.yaml"), eu, us].join(path.delimiter);

    it("gives each provider the file that defines its context", () => {
        assert.equal(kubeconfigFileFor("prod-eu-west-1", list), eu);
        assert.equal(kubeconfigFileFor("staging", list), us);
    });

    it("gives the current context's file when no context is named", () => {
        assert.equal(kubeconfigFileFor(undefined, list), eu);
    });

    it("leaves the provider to its defaults with one file, none, or no file that defines the context", () => {
        assert.equal(kubeconfigFileFor("prod-eu-west-1", eu), undefined);
        assert.equal(kubeconfigFileFor("prod-eu-west-1", ""), undefined);
        assert.equal(kubeconfigFileFor("prod-eu-west-1", undefined), undefined);
        assert.equal(kubeconfigFileFor("elsewhere", list), undefined);
    });

    it("finds the current context where kubectl does: the first file that sets one", () => {
        assert.deepEqual(currentContext(list), { context: "prod-eu-west-1", file: eu });
        assert.deepEqual(currentContext([us, eu].join(path.delimiter)), { context: "prod-eu-west-1", file: eu });
        assert.equal(currentContext(us), undefined);
        assert.deepEqual(kubeconfigFiles(""), [path.join(os.homedir(), ".kube", "config")]);
    });
});
