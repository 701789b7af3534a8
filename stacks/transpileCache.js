"use strict";
/**
 * Runs this repository's TypeScript scripts (`npm run preview|up|destroy|
 * render|audit`) with each file's JavaScript kept on disk, keyed by its text:
 * `node -r ./stacks/transpileCache.js stacks/deploy.ts ...`.
 *
 * ts-node without type-checking compiles every file of the program again on
 * every run, and that was the largest part of what every operation pays
 * before its first resource (BENCHMARKS.md, "The fixed cost of an
 * operation"). Here a file is compiled once, by the same TypeScript call with
 * the same options as `ts-node --transpile-only`, so the JavaScript is the
 * same text: the service-account writer's code, which Pulumi serializes into
 * the state, does not change with the way the program was started
 * (test/transpileCache.test.ts checks both). A changed file, tsconfig.json or
 * TypeScript version is a new key, and is compiled again.
 *
 * Plain JavaScript, because it is what lets Node load TypeScript. Stack
 * traces point into the TypeScript files, through the same source-map
 * support ts-node installs.
 */
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const Module = require("module");

const ROOT = path.resolve(__dirname, "..");
const CACHE_DIR = path.join(ROOT, "node_modules", ".cache", "pulumi-registry-credentials", "transpiled");

/** The options `ts-node --transpile-only` compiles with: tsconfig.json's, with the ones ts-node imposes. */
function compilerOptions(ts) {
    const file = path.join(ROOT, "tsconfig.json");
    const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
    if (error !== undefined) {
        throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
    }
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, file);
    for (const name of ["out", "outFile", "composite", "declarationDir", "declarationMap", "emitDeclarationOnly"]) {
        delete options[name];
    }
    return {
        ...options,
        sourceMap: true,
        inlineSourceMap: false,
        inlineSources: true,
        declaration: false,
        noEmit: false,
        outDir: ".ts-node",
    };
}

/** TypeScript and its options, loaded on the first file not in the cache. */
let compiler;

/** A file's JavaScript, with its source map inline, as ts-node emits it; throws on a syntax error. */
function compile(source, filename) {
    if (compiler === undefined) {
        const ts = require("typescript");
        compiler = { ts, options: compilerOptions(ts) };
    }
    const { ts, options } = compiler;
    const result = ts.transpileModule(source, {
        fileName: filename,
        compilerOptions: options,
        reportDiagnostics: true,
    });
    if (result.diagnostics.length > 0) {
        const host = { getCanonicalFileName: (name) => name, getCurrentDirectory: () => ROOT, getNewLine: () => "\n" };
        throw new SyntaxError(ts.formatDiagnostics(result.diagnostics, host));
    }
    const map = JSON.parse(result.sourceMapText);
    map.file = filename;
    map.sources = [filename];
    delete map.sourceRoot;
    const code = result.outputText.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "");
    return `${code}\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(JSON.stringify(map)).toString("base64")}`;
}

/** What every key depends on besides the file itself. */
const salt = [
    require("typescript/package.json").version,
    fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8"),
].join("\0");

/** The JavaScript of each TypeScript file this process loaded, for the stack traces' source maps. */
const loaded = new Map();

function cachedJavaScript(source, filename) {
    const key = crypto.createHash("sha256").update(`${salt}\0${filename}\0${source}`).digest("hex");
    const cached = path.join(CACHE_DIR, `${key}.js`);
    try {
        return fs.readFileSync(cached, "utf8");
    } catch {
        const code = compile(source, filename);
        try {
            fs.mkdirSync(CACHE_DIR, { recursive: true });
            // Written aside and renamed: two runs starting at once never read half a file.
            const partial = `${cached}.${process.pid}`;
            fs.writeFileSync(partial, code);
            fs.renameSync(partial, cached);
        } catch {
            // A cache that cannot be written (a read-only checkout) only means compiling again next time.
        }
        return code;
    }
}

require("@cspotcode/source-map-support").install({
    environment: "node",
    retrieveFile: (file) => loaded.get(file) ?? null,
});

Module._extensions[".ts"] = (module, filename) => {
    const code = cachedJavaScript(fs.readFileSync(filename, "utf8"), filename);
    loaded.set(filename, code);
    module._compile(code, filename);
};

module.exports = { compile };
