/**
 * The pinned toolchain of the local test cluster: etcd, the Kubernetes
 * control plane and kubectl, the Pulumi CLI and the Kubernetes provider, and
 * the node's kubelet, containerd and runc.
 * Each is built with the ordinary `go` client from published modules, in a
 * throwaway wrapper module, into a cache outside the repository keyed by
 * tool and version, so a second run finds it in milliseconds.
 *
 * TOOLS is the one place a version is pinned; the README's toolchain table
 * is checked against it by test/toolchain.test.ts.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** One pinned build. */
export interface Tool {
    /** The cache key, with the version. */
    readonly name: string;
    readonly version: string;
    /** The module the binaries come from, at `moduleVersion`. */
    readonly module: string;
    readonly moduleVersion: string;
    /** The main packages to build, and the binary each becomes. */
    readonly binaries: Readonly<Record<string, string>>;
    /** Other requirements of the wrapper module, `module@version`. */
    readonly require?: readonly string[];
    readonly tags?: string;
    readonly ldflags: string;
    /** Built with cgo (runc's nsenter is C, and its seccomp support links libseccomp); the rest are static Go. */
    readonly cgo?: boolean;
    /** Extra steps in the wrapper module after its requirements are in place. */
    readonly prepare?: (wrapper: string) => void;
}

const KUBERNETES = "1.36.3";
const KUBERNETES_STAGING = "v0.36.3";
const PULUMI = "3.248.0";
const PROVIDER = "4.25.0";
const CONTAINERD = "2.3.7";
const RUNC = "1.5.2";

/** Without these a Kubernetes binary calls itself v0.0.0, and clients (pulumi-kubernetes among them) choose features by server version. */
const KUBERNETES_LDFLAGS = ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]
    .map(
        (pkg) =>
            `-X ${pkg}.gitVersion=v${KUBERNETES} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${KUBERNETES.split(".")[1]}`,
    )
    .join(" ");

export const TOOLS: readonly Tool[] = [
    {
        name: "etcd",
        version: "3.6.14",
        module: "go.etcd.io/etcd/server/v3",
        moduleVersion: "v3.6.14",
        binaries: { "go.etcd.io/etcd/server/v3": "etcd" },
        ldflags: "",
    },
    {
        name: "kubernetes",
        version: KUBERNETES,
        module: "k8s.io/kubernetes",
        moduleVersion: `v${KUBERNETES}`,
        binaries: {
            "k8s.io/kubernetes/cmd/kube-apiserver": "kube-apiserver",
            "k8s.io/kubernetes/cmd/kube-controller-manager": "kube-controller-manager",
            "k8s.io/kubernetes/cmd/kubectl": "kubectl",
        },
        tags: "notest",
        ldflags: KUBERNETES_LDFLAGS,
        prepare: replaceStagingModules,
    },
    {
        name: "pulumi",
        version: PULUMI,
        module: "github.com/pulumi/pulumi/pkg/v3",
        moduleVersion: `v${PULUMI}`,
        binaries: { "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi": "pulumi" },
        ldflags: `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI}`,
    },
    {
        name: "pulumi-resource-kubernetes",
        version: PROVIDER,
        // The only provider/v4 version the module proxy serves; it is tag v4.25.0.
        module: "github.com/pulumi/pulumi-kubernetes/provider/v4",
        moduleVersion: "v4.0.0-20260115033456-f47bc2d6f199",
        require: [`github.com/pulumi/pulumi-kubernetes/sdk/v4@v${PROVIDER}`],
        binaries: { ".": "pulumi-resource-kubernetes" },
        ldflags: `-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${PROVIDER}`,
        prepare: writeProviderMain,
    },
    // The node (`npm run cluster -- up --node`). The kubelet is a tool of its
    // own, not a fourth binary of "kubernetes", so that a cache built before
    // the node existed keeps its control plane.
    {
        name: "kubelet",
        version: KUBERNETES,
        module: "k8s.io/kubernetes",
        moduleVersion: `v${KUBERNETES}`,
        binaries: { "k8s.io/kubernetes/cmd/kubelet": "kubelet" },
        tags: "notest",
        ldflags: KUBERNETES_LDFLAGS,
        prepare: replaceStagingModules,
    },
    {
        name: "containerd",
        version: CONTAINERD,
        module: "github.com/containerd/containerd/v2",
        moduleVersion: `v${CONTAINERD}`,
        binaries: {
            "github.com/containerd/containerd/v2/cmd/containerd": "containerd",
            "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2": "containerd-shim-runc-v2",
        },
        ldflags: `-X github.com/containerd/containerd/v2/version.Version=v${CONTAINERD}`,
    },
    {
        name: "runc",
        version: RUNC,
        module: "github.com/opencontainers/runc",
        moduleVersion: `v${RUNC}`,
        binaries: { "github.com/opencontainers/runc": "runc" },
        // Needs Debian's libseccomp-dev, which .ci/run installs.
        tags: "seccomp",
        cgo: true,
        ldflags: `-X main.version=${RUNC}`,
    },
];

/** Where built tools and local clusters live: outside the repository. */
export function cacheDir(): string {
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(base, "pulumi-registry-credentials");
}

/** The folder holding a tool's binaries. */
export function binDir(tool: Tool): string {
    return path.join(cacheDir(), "tools", `${tool.name}-${tool.version}`, "bin");
}

/** The folders to put first on PATH so that the pinned tools win. */
export function toolPath(): string[] {
    return [...TOOLS.map(binDir), path.dirname(dynamicProviderPlugin())];
}

/**
 * Pulumi's plugin for dynamic resources (the component's service-account
 * writer is one), `pulumi-resource-pulumi-nodejs`, ships in the CLI's
 * release archive, not in its Go module. It is this launcher: Node on the
 * SDK's dynamic provider, found from the directory the CLI starts it in
 * (the program's).
 */
export function dynamicProviderPlugin(): string {
    return path.join(cacheDir(), "tools", "pulumi-nodejs-dynamic", "bin", "pulumi-resource-pulumi-nodejs");
}

const DYNAMIC_PROVIDER_LAUNCHER = `#!/bin/sh
exec node "$(node -p 'require.resolve("@pulumi/pulumi/cmd/dynamic-provider")')" "$@"
`;

function writeDynamicProviderPlugin(): void {
    const file = dynamicProviderPlugin();
    if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === DYNAMIC_PROVIDER_LAUNCHER) {
        return;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, DYNAMIC_PROVIDER_LAUNCHER, { mode: 0o755 });
}

/** The path of one pinned binary, built or not. */
export function binary(name: string): string {
    const tool = TOOLS.find((candidate) => Object.values(candidate.binaries).includes(name));
    if (tool === undefined) {
        throw new Error(`no pinned tool builds ${name}`);
    }
    return path.join(binDir(tool), name);
}

/** Which tools are not built yet. */
export function missingTools(): Tool[] {
    return TOOLS.filter((tool) =>
        Object.values(tool.binaries).some((name) => !fs.existsSync(path.join(binDir(tool), name))),
    );
}

/** Builds every tool that is not in the cache yet; progress goes to `log`. */
export function ensureTools(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): void {
    for (const tool of missingTools()) {
        const started = Date.now();
        log(`building ${tool.name} ${tool.version} into ${binDir(tool)} (a few minutes, once)`);
        buildTool(tool);
        log(`built ${tool.name} ${tool.version} in ${Math.round((Date.now() - started) / 1000)} s`);
    }
    writeDynamicProviderPlugin();
}

function buildTool(tool: Tool): void {
    const root = path.dirname(binDir(tool));
    const wrapper = path.join(root, "src");
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(wrapper, { recursive: true });
    go(wrapper, "mod", "init", `local/${tool.name}`);
    go(
        wrapper,
        "mod",
        "edit",
        `-require=${tool.module}@${tool.moduleVersion}`,
        ...(tool.require ?? []).map((req) => `-require=${req}`),
    );
    tool.prepare?.(wrapper);
    const packages = Object.keys(tool.binaries).filter((pkg) => pkg !== ".");
    if (packages.length > 0) {
        go(wrapper, "get", "-tool", ...packages.map((pkg) => `${pkg}@${tool.moduleVersion}`));
    } else {
        go(wrapper, "mod", "tidy");
    }
    // Built into a scratch folder and renamed, so an interrupted build never
    // leaves a binary that looks finished.
    const scratch = path.join(root, "bin.partial");
    const flags = ["-trimpath", `-ldflags=${tool.ldflags}`, ...(tool.tags ? ["-tags", tool.tags] : [])];
    for (const [pkg, name] of Object.entries(tool.binaries)) {
        goWith("-mod=mod", wrapper, { cgo: tool.cgo }, "build", ...flags, "-o", path.join(scratch, name), pkg);
    }
    fs.renameSync(scratch, binDir(tool));
}

/** `go` in a throwaway wrapper module, which it may edit. */
function go(cwd: string, ...args: string[]): void {
    goWith("-mod=mod", cwd, {}, ...args);
}

function goWith(goflags: string, cwd: string, { cgo = false }: { cgo?: boolean }, ...args: string[]): void {
    const result = spawnSync("go", args, {
        cwd,
        // Progress to stderr, so that `npm run -s cluster -- env` prints only its exports.
        stdio: ["ignore", process.stderr, "inherit"],
        env: { ...process.env, CGO_ENABLED: cgo ? "1" : "0", GOFLAGS: goflags, GOWORK: "off" },
    });
    if (result.error) {
        throw new Error(
            `cannot run go (${result.error.message}); the local cluster's tools are built with Go 1.26 or later`,
        );
    }
    if (result.status !== 0) {
        throw new Error(`go ${args.join(" ")} failed in ${cwd} (exit ${result.status})`);
    }
}

/**
 * k8s.io/kubernetes requires its staging modules (k8s.io/api, client-go, ...)
 * at v0.0.0 and replaces them with folders of its own repository, and a
 * dependency's replacements do not apply. The same modules are published
 * at v0.<minor>.<patch>; point the wrapper at those.
 */
function replaceStagingModules(wrapper: string): void {
    const goMod = spawnSync("go", ["mod", "download", "-json", `k8s.io/kubernetes@v${KUBERNETES}`], {
        cwd: wrapper,
        encoding: "utf8",
    });
    if (goMod.status !== 0) {
        throw new Error(`go mod download k8s.io/kubernetes@v${KUBERNETES} failed: ${goMod.stderr}`);
    }
    const requirements = fs.readFileSync(JSON.parse(goMod.stdout).GoMod, "utf8");
    const staging = [...requirements.matchAll(/^\s*(k8s\.io\/[\w.-]+) v0\.0\.0$/gm)].map((match) => match[1]);
    go(wrapper, "mod", "edit", ...staging.map((module) => `-replace=${module}=${module}@${KUBERNETES_STAGING}`));
}

/**
 * The provider module's own main embeds files generated at release time. This
 * main embeds the module's schema (with its version set) and Terraform
 * mapping, and serves them as the released binary does.
 */
function writeProviderMain(wrapper: string): void {
    const { module, moduleVersion } = TOOLS.find((tool) => tool.prepare === writeProviderMain)!;
    go(wrapper, "mod", "download", `${module}@${moduleVersion}`);
    const listed = spawnSync("go", ["list", "-m", "-f", "{{.Dir}}", module], {
        cwd: wrapper,
        encoding: "utf8",
        env: { ...process.env, GOFLAGS: "-mod=mod" },
    });
    if (listed.status !== 0) {
        throw new Error(`go list ${module} failed: ${listed.stderr}`);
    }
    const generated = path.join(listed.stdout.trim(), "cmd", "pulumi-resource-kubernetes");
    const schema = JSON.parse(fs.readFileSync(path.join(generated, "schema.json"), "utf8"));
    schema.version = PROVIDER;
    fs.writeFileSync(path.join(wrapper, "schema.json"), JSON.stringify(schema));
    fs.copyFileSync(path.join(generated, "terraform-mapping.json"), path.join(wrapper, "terraform-mapping.json"));
    fs.writeFileSync(
        path.join(wrapper, "main.go"),
        `// The Kubernetes provider, served as its released main serves it.
package main

import (
\t_ "embed"

\t"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
\t"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema.json
var schema []byte

//go:embed terraform-mapping.json
var mapping []byte

func main() {
\tprovider.Serve("kubernetes", version.Version, schema, mapping)
}
`,
    );
}

/**
 * The kubelet's own credential lookup as a command (testcluster/keyring), for
 * the parity tests: built from this repository's source, with the same
 * Kubernetes pins, into the cache under a hash of that source.
 */
export function keyringHelper(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): string {
    return goHelper("keyring", log);
}

/**
 * The pull proof's registry, client and kubelet lookup as one command
 * (testcluster/pullproof): distribution's registry, go-containerregistry and
 * k8s.io/kubernetes pkg/credentialprovider at the versions its go.mod pins.
 */
export function pullProofHelper(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): string {
    return goHelper("pullproof", log);
}

/**
 * The static binary that is the node's pause image and every test Pod's app
 * image (testcluster/sleeper): it sleeps until SIGTERM.
 */
export function sleeperBinary(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): string {
    return goHelper("sleeper", log);
}

/**
 * A Go command of this repository's (testcluster/<name>, its own module),
 * built into the cache under a hash of its source, so an edit rebuilds it
 * and an unchanged one is found at once.
 */
function goHelper(name: string, log: (line: string) => void): string {
    const source = path.join(__dirname, name);
    const hash = createHash("sha256");
    // A module without dependencies has no go.sum.
    for (const file of ["main.go", "go.mod", "go.sum"].filter((file) => fs.existsSync(path.join(source, file)))) {
        hash.update(fs.readFileSync(path.join(source, file)));
    }
    const built = path.join(cacheDir(), "tools", `${name}-${hash.digest("hex").slice(0, 12)}`, name);
    if (!fs.existsSync(built)) {
        log(`building the ${name} helper into ${built}`);
        // -mod=readonly: the committed go.sum is the record; a build never rewrites it.
        goWith("-mod=readonly", source, {}, "build", "-trimpath", "-o", `${built}.partial`, ".");
        fs.renameSync(`${built}.partial`, built);
    }
    return built;
}
