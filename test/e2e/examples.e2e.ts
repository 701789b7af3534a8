/**
 * examples/automation run as its header tells a user to run it (ts-node,
 * `up` and `destroy` with namespaces on the command line), against the local
 * cluster: the example is the route for a program of one's own on a machine
 * without the Node language host, so it must work, not only compile.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { pulumiEnv, scratchDir } from "../../testcluster/scratch";
import { createNamespace, imagePullSecretNames, secretConfig } from "./cluster";
import { sharedCluster } from "./hooks";

const ROOT = path.resolve(__dirname, "../..");

/**
 * The example's folder as `npm install` would leave it: the package (here,
 * the repository's own source) and the one copy of the Pulumi SDK that the
 * example and the package share.
 */
function exampleFolder(): string {
    fs.mkdirSync(scratchDir(), { recursive: true });
    const dir = fs.mkdtempSync(scratchDir("example-automation-"));
    for (const file of ["index.ts", "tsconfig.json"]) {
        fs.copyFileSync(path.join(ROOT, "examples", "automation", file), path.join(dir, file));
    }
    const modules = path.join(dir, "node_modules");
    const pkg = path.join(modules, "pulumi-registry-credentials");
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(
        path.join(pkg, "index.js"),
        `module.exports = require(${JSON.stringify(path.join(ROOT, "components"))});\n`,
    );
    fs.symlinkSync(path.join(ROOT, "node_modules", "@pulumi"), path.join(modules, "@pulumi"));
    return dir;
}

describe("the Automation API example", function () {
    it("rolls the Secret out to the namespaces it is given with up, and takes it back with destroy", async function () {
        const cluster = sharedCluster();
        const namespaces = ["ex-auto-a", "ex-auto-b"];
        for (const namespace of namespaces) {
            await createNamespace(cluster, namespace);
        }
        const dir = exampleFolder();
        // Its own state folder, as a user has it: not the suite's backend.
        const { PULUMI_BACKEND_URL: _suiteBackend, ...suite } = pulumiEnv(cluster);
        const env = {
            ...process.env,
            ...suite,
            REGISTRY_USERNAME: "example-bot",
            REGISTRY_PASSWORD: "example-password-not-a-secret",
            TS_NODE_TRANSPILE_ONLY: "true",
        };
        const run = (...args: string[]) =>
            spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "index.ts", ...args], {
                cwd: dir,
                env,
                encoding: "utf8",
                timeout: 240_000,
            });

        const up = run("up", ...namespaces);
        assert.equal(up.status, 0, `${up.stdout}\n${up.stderr}`);
        assert.match(up.stdout, /secret regcred in: ex-auto-a, ex-auto-b/);
        for (const namespace of namespaces) {
            assert.ok(secretConfig(cluster, namespace, "regcred")?.includes('"username":"example-bot"'), namespace);
            assert.deepEqual(imagePullSecretNames(cluster, namespace), ["regcred"]);
        }
        assert.ok(!up.stdout.includes("example-password-not-a-secret"), "the password is in the output");

        const destroy = run("destroy");
        assert.equal(destroy.status, 0, `${destroy.stdout}\n${destroy.stderr}`);
        for (const namespace of namespaces) {
            assert.equal(secretConfig(cluster, namespace, "regcred"), undefined, namespace);
            assert.deepEqual(imagePullSecretNames(cluster, namespace) ?? [], []);
        }
    });
});
