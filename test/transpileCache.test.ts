/**
 * stacks/transpileCache.js, which the npm scripts start the deploy scripts
 * with: the same JavaScript as ts-node's, compiled once per file's text.
 * Each case runs in a process of its own, since the hook replaces how this
 * one (under ts-node) loads TypeScript.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
const HOOK = path.join(ROOT, "stacks", "transpileCache.js");
const CACHE_DIR = path.join(ROOT, "node_modules", ".cache", "pulumi-registry-credentials", "transpiled");

function node(args: string[]): { status: number | null; stdout: string; stderr: string } {
    return spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
}

/** Runs `script` with TypeScript loaded by the hook, or by ts-node. */
function withLoader(loader: "hook" | "ts-node", script: string) {
    return node(["-r", loader === "hook" ? HOOK : "ts-node/register/transpile-only", "-e", script]);
}

const withoutSourceMap = (code: string) => code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "");

describe("the transpile cache (stacks/transpileCache.js)", function () {
    this.timeout(60_000);
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "regcred-transpile-"));
    after(() => fs.rmSync(scratch, { recursive: true, force: true }));

    it("emits the same JavaScript as ts-node --transpile-only for every file of the scripts and the component", () => {
        const files = ["stacks", "components"].flatMap((folder) =>
            fs
                .readdirSync(path.join(ROOT, folder))
                .filter((file) => file.endsWith(".ts"))
                .map((file) => path.join(ROOT, folder, file)),
        );
        assert.ok(files.length > 30, `only ${files.length} files found`);
        // One process loads both: the hook's compiler, and a ts-node compiler that is not registered.
        const script = `
            const fs = require("fs");
            const hook = require(${JSON.stringify(HOOK)});
            const tsNode = require("ts-node").create({ transpileOnly: true, cwd: ${JSON.stringify(ROOT)} });
            const strip = (code) => code.replace(/\\n\\/\\/# sourceMappingURL=\\S+\\s*$/, "");
            const differing = ${JSON.stringify(files)}.filter((file) => {
                const source = fs.readFileSync(file, "utf8");
                return strip(hook.compile(source, file)) !== strip(tsNode.compile(source, file));
            });
            console.log(JSON.stringify(differing));`;
        const result = node(["-e", script]);
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(JSON.parse(result.stdout), []);
    });

    it("serializes the service-account writer into the same text as under ts-node, so no stack sees a diff", () => {
        const script = `
            const { entriesProvider } = require(${JSON.stringify(path.join(ROOT, "components", "entriesResource.ts"))});
            require("@pulumi/pulumi/runtime/closure/serializeClosure")
                .serializeFunction(() => entriesProvider, { allowSecrets: true })
                .then((serialized) => process.stdout.write(serialized.text));`;
        const [hook, tsNode] = [withLoader("hook", script), withLoader("ts-node", script)];
        assert.equal(hook.status, 0, hook.stderr);
        assert.equal(tsNode.status, 0, tsNode.stderr);
        assert.match(hook.stdout, /imagePullSecrets/);
        assert.equal(hook.stdout, tsNode.stdout);
    });

    it("compiles a file once, and again when its text changes", () => {
        const file = path.join(scratch, "answer.ts");
        const entries = () => (fs.existsSync(CACHE_DIR) ? fs.readdirSync(CACHE_DIR).length : 0);
        const run = () => node(["-r", HOOK, file]);

        fs.writeFileSync(file, `const answer: number = ${Date.now()};\nconsole.log(answer % 1000);\n`);
        const before = entries();
        const first = run();
        assert.equal(first.status, 0, first.stderr);
        assert.equal(entries(), before + 1);
        const again = run();
        assert.equal(again.stdout, first.stdout);
        assert.equal(entries(), before + 1, "an unchanged file was compiled again");

        fs.writeFileSync(file, `const answer: string = "changed";\nconsole.log(answer);\n`);
        const changed = run();
        assert.equal(changed.stdout, "changed\n");
        assert.equal(entries(), before + 2);
    });

    it("points a stack trace at the TypeScript line, past the types the JavaScript drops", () => {
        const file = path.join(scratch, "throws.ts");
        fs.writeFileSync(
            file,
            [
                "interface Shape {",
                "    readonly sides: number;",
                "}",
                "",
                "const shape: Shape = { sides: 3 };",
                "throw new Error(`sides ${shape.sides}`);",
                "",
            ].join("\n"),
        );
        const result = node(["-r", HOOK, file]);
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, /Error: sides 3/);
        assert.match(result.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:6:`));
    });

    it("refuses a file with a syntax error, naming the file and the line", () => {
        const file = path.join(scratch, "broken.ts");
        fs.writeFileSync(file, "const fine = 1;\nconst broken = ;\n");
        const result = node(["-r", HOOK, file]);
        assert.notEqual(result.status, 0);
        assert.match(result.stderr, /broken\.ts\(2,16\): error TS1109: Expression expected/);
        assert.equal(
            fs.existsSync(CACHE_DIR) &&
                fs
                    .readdirSync(CACHE_DIR)
                    .some((entry) =>
                        withoutSourceMap(fs.readFileSync(path.join(CACHE_DIR, entry), "utf8")).includes("broken ="),
                    ),
            false,
            "a file that does not compile was cached",
        );
    });
});
