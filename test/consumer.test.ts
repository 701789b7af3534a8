/**
 * The npm package as another team's program meets it: packed, installed from
 * the tarball into a fresh TypeScript project with its own @pulumi/pulumi and
 * @pulumi/kubernetes, compiled with `tsc --strict` (no ts-node), and run on
 * Pulumi's mock runtime. Once with the versions this repository develops
 * against, once with the oldest its peer ranges allow.
 */
import { strict as assert } from "assert";
import { SpawnSyncReturns, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { isSecretWrapped, unwrapSecret } from "../stacks/mockRuntime";

const ENTRIES = "pulumi-nodejs:dynamic/registry-credentials:ServiceAccountEntries";
const ROOT = path.join(__dirname, "..");
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const PASSWORD = "consumer-test-password";

function check(what: string, result: SpawnSyncReturns<string>): string {
    if (result.error !== undefined || result.status !== 0) {
        throw new Error(
            `${what} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}${result.stderr}`,
        );
    }
    return result.stdout;
}

function npm(args: string[], cwd: string): string {
    return check(`npm ${args.join(" ")}`, spawnSync("npm", args, { cwd, encoding: "utf8" }));
}

/** Every installed copy of a package under `dir`, however deep npm nested it. */
function installedCopies(dir: string, name: string): string[] {
    const found: string[] = [];
    const visit = (modules: string) => {
        if (fs.existsSync(path.join(modules, name, "package.json"))) {
            found.push(path.join(modules, name));
        }
        for (const entry of fs.existsSync(modules) ? fs.readdirSync(modules) : []) {
            const packages = entry.startsWith("@")
                ? fs.readdirSync(path.join(modules, entry)).map((p) => path.join(entry, p))
                : [entry];
            for (const pkg of packages) {
                visit(path.join(modules, pkg, "node_modules"));
            }
        }
    };
    visit(path.join(dir, "node_modules"));
    return found;
}

/** The version of a package installed here, so that the consumer's install is served from npm's cache. */
const installedVersion = (name: string) => require(`${name}/package.json`).version as string;
/** The lowest version a caret range allows. */
const floor = (range: string) => range.replace(/^\^/, "");

const tsc = require.resolve("typescript/bin/tsc");
const compilerFlags = [
    "--strict",
    "--target",
    "ES2022",
    "--module",
    "commonjs",
    "--esModuleInterop",
    "--types",
    "node",
];

const VERSION_SETS = [
    { pulumi: installedVersion("@pulumi/pulumi"), kubernetes: installedVersion("@pulumi/kubernetes") },
    {
        pulumi: floor(manifest.peerDependencies["@pulumi/pulumi"]),
        kubernetes: floor(manifest.peerDependencies["@pulumi/kubernetes"]),
    },
];

describe("the npm package, used from another program", function () {
    this.timeout(15 * 60_000);
    let packDir: string;
    let tarball: string;
    let packedFiles: string[];

    before(function () {
        packDir = fs.mkdtempSync(path.join(os.tmpdir(), "regcred-pack-"));
        // `npm pack` runs prepack, which builds dist/ first.
        const [packed] = JSON.parse(npm(["pack", "--json", "--pack-destination", packDir], ROOT));
        tarball = path.join(packDir, packed.filename);
        packedFiles = packed.files.map((file: { path: string }) => file.path);
    });

    after(() => fs.rmSync(packDir, { recursive: true, force: true }));

    it("packs the compiled library, its declarations and docs, and nothing else", () => {
        for (const file of [
            "package.json",
            "README.md",
            "LICENSE",
            "CHANGELOG.md",
            "dist/index.js",
            "dist/index.d.ts",
            "dist/registryCredentials.js.map",
        ]) {
            assert.ok(packedFiles.includes(file), `${file} is missing from the tarball`);
        }
        const unexpected = packedFiles.filter(
            (file) => !/^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/[\w.]+\.(js|d\.ts)(\.map)?)$/.test(file),
        );
        assert.deepEqual(unexpected, []);
    });

    it("declares @pulumi/pulumi and @pulumi/kubernetes as peers, and depends on yaml alone (to read kubeconfigs)", () => {
        assert.deepEqual(Object.keys(manifest.peerDependencies).sort(), ["@pulumi/kubernetes", "@pulumi/pulumi"]);
        assert.deepEqual(Object.keys(manifest.dependencies), ["yaml"]);
        for (const name of ["@pulumi/pulumi", "@pulumi/kubernetes"]) {
            assert.ok(manifest.devDependencies[name], `${name} is not a dev dependency`);
        }
    });

    it("shows the example in the README as it is in examples/basic", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const example = fs.readFileSync(path.join(ROOT, "examples", "basic", "index.ts"), "utf8");
        assert.ok(
            readme.includes(
                `<!-- examples/basic/index.ts, checked by test/consumer.test.ts -->\n\`\`\`ts\n${example}\`\`\`\n`,
            ),
        );
    });

    it("installs the README's way: the tarball npm pack writes, by path, beside the peers", function () {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const block = /## Install[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
        const tarballName = path.basename(tarball);
        assert.match(block, /npm ci && npm pack/);
        assert.ok(
            block.includes(`npm install /path/to/${tarballName} @pulumi/pulumi @pulumi/kubernetes`),
            `the README installs another file than ${tarballName}:\n${block}`,
        );

        const program = fs.mkdtempSync(path.join(os.tmpdir(), "regcred-install-"));
        try {
            fs.writeFileSync(path.join(program, "package.json"), JSON.stringify({ name: "consumer", private: true }));
            const [pulumiVersion, kubernetesVersion] = [
                installedVersion("@pulumi/pulumi"),
                installedVersion("@pulumi/kubernetes"),
            ];
            npm(
                [
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--prefer-offline",
                    "--loglevel=error",
                    tarball,
                    `@pulumi/pulumi@${pulumiVersion}`,
                    `@pulumi/kubernetes@${kubernetesVersion}`,
                ],
                program,
            );
            const installed = JSON.parse(fs.readFileSync(path.join(program, "package.json"), "utf8")).dependencies;
            assert.equal(installed["pulumi-registry-credentials"], `file:${path.relative(program, tarball)}`);
            const loaded = spawnSync(
                process.execPath,
                ["-e", "console.log(typeof require('pulumi-registry-credentials').RegistryCredentials)"],
                { cwd: program, encoding: "utf8" },
            );
            assert.equal(loaded.stdout.trim(), "function", loaded.stderr);
        } finally {
            fs.rmSync(program, { recursive: true, force: true });
        }
    });

    for (const versions of VERSION_SETS) {
        describe(`with @pulumi/pulumi ${versions.pulumi} and @pulumi/kubernetes ${versions.kubernetes}`, () => {
            let program: string;
            let registrations: any[];

            before(function () {
                program = fs.mkdtempSync(path.join(os.tmpdir(), "regcred-consumer-"));
                const packageJson = {
                    name: "consumer",
                    private: true,
                    dependencies: {
                        "pulumi-registry-credentials": `file:${tarball}`,
                        "@pulumi/pulumi": versions.pulumi,
                        "@pulumi/kubernetes": versions.kubernetes,
                        "@types/node": installedVersion("@types/node"),
                    },
                };
                fs.writeFileSync(path.join(program, "package.json"), JSON.stringify(packageJson, null, 2));
                fs.copyFileSync(path.join(ROOT, "examples", "basic", "index.ts"), path.join(program, "index.ts"));
                fs.copyFileSync(
                    path.join(ROOT, "examples", "automation", "index.ts"),
                    path.join(program, "automation.ts"),
                );
                fs.copyFileSync(path.join(ROOT, "stacks", "mockRuntime.ts"), path.join(program, "mockRuntime.ts"));
                for (const file of ["types.ts", "run.ts"]) {
                    fs.copyFileSync(path.join(__dirname, "consumer", file), path.join(program, file));
                }
                npm(
                    ["install", "--no-audit", "--no-fund", "--no-package-lock", "--prefer-offline", "--loglevel=error"],
                    program,
                );
                check(
                    "tsc --strict",
                    spawnSync(process.execPath, [tsc, ...compilerFlags, "index.ts", "types.ts", "run.ts"], {
                        cwd: program,
                        encoding: "utf8",
                    }),
                );
                const output = check(
                    "the compiled program",
                    spawnSync(process.execPath, ["run.js"], { cwd: program, encoding: "utf8" }),
                );
                registrations = JSON.parse(output.trim().split("\n").pop()!).registrations;
            });

            after(() => fs.rmSync(program, { recursive: true, force: true }));

            // The example sets upsertExistingObjects, which the @pulumi/kubernetes SDK has only in later versions than
            // the package's lowest; its package.json asks for those.
            if (versions === VERSION_SETS[0]) {
                it("compiles the Automation API example (examples/automation) against the package, with tsc --strict", () => {
                    check(
                        "tsc --strict automation.ts",
                        spawnSync(process.execPath, [tsc, ...compilerFlags, "--noEmit", "automation.ts"], {
                            cwd: program,
                            encoding: "utf8",
                        }),
                    );
                });
            }

            it("installs exactly one copy of @pulumi/pulumi", () => {
                assert.deepEqual(
                    installedCopies(program, "@pulumi/pulumi").map((dir) => path.relative(program, dir)),
                    [path.join("node_modules", "@pulumi", "pulumi")],
                );
                assert.equal(
                    require(path.join(program, "node_modules/@pulumi/pulumi/package.json")).version,
                    versions.pulumi,
                );
            });

            it("runs the example from the compiled JavaScript: a Secret per namespace on the program's provider, and the entries resource, under the component", () => {
                const of = (type: string) => registrations.filter((r) => r.type === type);
                const [component] = of("registry-credentials:index:RegistryCredentials");
                assert.ok(component, "the component was not registered");
                const [provider] = of("pulumi:providers:kubernetes");
                const secrets = of("kubernetes:core/v1:Secret");
                const [entries] = of(ENTRIES);
                assert.deepEqual(secrets.map((r) => r.name).sort(), ["ghcr-pull/search", "ghcr-pull/shop"]);
                assert.deepEqual(entries.inputs.entries, {
                    "search/default": "ghcr-pull",
                    "shop/default": "ghcr-pull",
                });
                for (const child of [...secrets, entries]) {
                    assert.equal(child.parent, component.urn);
                }
                for (const secret of secrets) {
                    assert.ok(
                        secret.provider.startsWith(`${provider.urn}::`),
                        `${secret.name} is not on the program's provider`,
                    );
                }
            });

            it("serializes the service-account writer as a require of the installed package, which resolves from the program's directory", () => {
                // The dynamic provider process runs this code; it finds the module as the program would.
                const [entries] = registrations.filter((r) => r.type === ENTRIES);
                assert.match(
                    entries.inputs.__provider,
                    /require\("pulumi-registry-credentials\/dist\/serviceAccountEntry\.js"\)/,
                );
                const resolved = require.resolve("pulumi-registry-credentials/dist/serviceAccountEntry.js", {
                    paths: [program],
                });
                assert.equal(typeof require(resolved).addEntry, "function");
            });

            it("keeps the password secret: in the component's inputs and in every Secret's data", () => {
                const component = registrations.find(
                    (r) => r.type === "registry-credentials:index:RegistryCredentials",
                );
                if (Object.keys(component.inputs).length > 0) {
                    assert.ok(isSecretWrapped(component.inputs.registries[0].password));
                } // else an SDK that keeps no local component's inputs in state (3.142 sends {})
                for (const secret of registrations.filter((r) => r.type === "kubernetes:core/v1:Secret")) {
                    // Newer @pulumi/kubernetes makes all of `data` secret; the component makes the value secret in any case.
                    const data = secret.inputs.data;
                    const encoded = isSecretWrapped(data)
                        ? unwrapSecret(data)[".dockerconfigjson"]
                        : data[".dockerconfigjson"];
                    assert.ok(
                        isSecretWrapped(data) || isSecretWrapped(encoded),
                        `${secret.name}: .dockerconfigjson is not secret`,
                    );
                    const config = Buffer.from(unwrapSecret(encoded), "base64").toString();
                    assert.equal(JSON.parse(config).auths["ghcr.io"].password, PASSWORD);
                }
                // In plaintext nowhere: the only copies are inside secret wrappers (the config is base64 there).
                const outsideSecrets = JSON.stringify(registrations, (_key, value) =>
                    isSecretWrapped(value) ? "[secret]" : value,
                );
                assert.ok(!outsideSecrets.includes(PASSWORD));
                assert.ok(!outsideSecrets.includes(Buffer.from(`acme-bot:${PASSWORD}`).toString("base64")));
            });

            it("lets a Deployment wait for every Secret and the entries with dependsOn: [credentials]", () => {
                const deployment = registrations.find((r) => r.type === "kubernetes:apps/v1:Deployment");
                const children = registrations.filter(
                    (r) => r.type === "kubernetes:core/v1:Secret" || r.type === ENTRIES,
                );
                for (const child of children) {
                    assert.ok(
                        deployment.dependencies.includes(child.urn),
                        `the Deployment does not wait for ${child.name}`,
                    );
                }
            });

            it("ships TSDoc for every public declaration in the .d.ts files", () => {
                const entry = path.join(program, "node_modules", "pulumi-registry-credentials", "dist", "index.d.ts");
                const declarations = ts.createProgram([entry], { strict: true });
                const checker = declarations.getTypeChecker();
                const exports = checker.getExportsOfModule(
                    checker.getSymbolAtLocation(declarations.getSourceFile(entry)!)!,
                );
                assert.ok(exports.length >= 8, `only ${exports.length} exports found`);
                const undocumented: string[] = [];
                const docOf = (symbol: ts.Symbol) =>
                    ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
                for (const exported of exports) {
                    const symbol =
                        exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
                    if (!docOf(symbol)) {
                        undocumented.push(exported.name);
                    }
                    if (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class)) {
                        for (const member of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol))) {
                            const declaredHere = member.declarations?.some((d) =>
                                d.getSourceFile().fileName.includes("pulumi-registry-credentials"),
                            );
                            if (declaredHere && !docOf(member)) {
                                undocumented.push(`${exported.name}.${member.name}`);
                            }
                        }
                    }
                }
                assert.deepEqual(undocumented, []);
            });
        });
    }
});
