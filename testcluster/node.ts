/**
 * The local test cluster's node (`npm run cluster -- up --node`): a real
 * kubelet on containerd and runc, so that a test can watch a Pod go from
 * `ImagePullBackOff` to `Running` with the credentials the component wrote.
 * Two registries on loopback come with it: an anonymous one for the pause
 * image (the sandbox pull carries no Pod's credentials) and a private one
 * that takes one login.
 *
 * Every name a node has is its cluster's (its folder, its cgroup root, its
 * Node object, its ports), so clusters side by side never share one, and
 * `cleanUpNode` leaves no process, mount or cgroup behind.
 *
 * What this machine kind needs, found by trying: containerd must not lower
 * its containers' oom_score_adj (root here lacks CAP_SYS_RESOURCE); the
 * kubelet must accept cgroup v1 (`failCgroupV1: false`) and find its cgroup
 * root made in every hierarchy; and no scheduler or CNI plugin runs, so a test
 * Pod names its node and uses the host's network.
 */
import { spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { binary, pullProofHelper, sleeperBinary } from "./toolchain";
import { waitForSync } from "./waitFor";

export interface NodeRegistry {
    /** `127.0.0.1:<port>`. */
    readonly address: string;
    /** The registry's self-signed certificate, PEM, which the node trusts. */
    readonly caFile: string;
    /** Its folder: the certificate and, for the private one, the htpasswd file. */
    readonly dir: string;
}

export interface Node {
    /** The Node object's name, and the kubelet's hostname. */
    readonly name: string;
    /** The cgroup the kubelet puts every Pod under, in each hierarchy. */
    readonly cgroupRoot: string;
    /** Anyone may pull and push: the pause image lives here. */
    readonly publicRegistry: NodeRegistry;
    /** Pulls need `loginFile`'s `{ username, password }`. */
    readonly privateRegistry: NodeRegistry & { readonly loginFile: string };
    /** The sandbox image containerd runs each Pod's network and cgroups in. */
    readonly pauseImage: string;
}

export interface Login {
    readonly username: string;
    readonly password: string;
}

/** How the control plane starts a process of its cluster: detached, logged, its pid recorded for `down`. */
export type StartProcess = (label: string, command: string, args: string[], env?: NodeJS.ProcessEnv) => void;

/** What the control plane's wait adds: a process that exits ends it, and the logs are shown on a timeout. */
export type UntilReady = (awaited: string, seconds: number, check: () => Promise<boolean>) => Promise<void>;

/** The node's name and cgroup root follow from the cluster's name alone, so `down` finds them without state. */
export function nodeName(cluster: string): string {
    return `regcred-${cluster}`;
}

function cgroupRootOf(cluster: string): string {
    return `/${nodeName(cluster)}`;
}

/** Fails, in one line, on a machine that cannot run a node: before anything is built or started. */
export function checkNodeSupport(): void {
    const reason = nodeUnsupportedReason();
    if (reason !== undefined) {
        throw new Error(`cannot start a node on this machine: ${reason}`);
    }
}

/** The kubelet, containerd and runc need root and writable cgroups: what is missing, or undefined. */
function nodeUnsupportedReason(): string | undefined {
    if (process.getuid?.() !== 0) {
        return "a node needs root (the kubelet, containerd and runc mount, and make cgroups); run as root";
    }
    const hierarchies = cgroupHierarchies();
    if (hierarchies.length === 0) {
        return "a node needs cgroups, and this machine mounts none";
    }
    const probe = path.join(hierarchies[0], `regcred-probe-${process.pid}`);
    try {
        fs.mkdirSync(probe);
        fs.rmdirSync(probe);
    } catch (error) {
        return `a node needs writable cgroups, and ${path.dirname(probe)} refuses a new one (${(error as NodeJS.ErrnoException).code})`;
    }
    return undefined;
}

/**
 * Starts the registries, containerd and the kubelet of a cluster whose API
 * server is ready (on a machine `checkNodeSupport` passed), and returns once
 * the Node is Ready.
 */
export async function startNode(
    cluster: { name: string; dir: string; kubeconfig: string },
    ports: { kubelet: number; healthz: number },
    start: StartProcess,
    untilReady: UntilReady,
    apiGet: (urlPath: string) => Promise<{ status: number; body: string }>,
): Promise<Node> {
    const dir = (...parts: string[]) => path.join(cluster.dir, ...parts);
    const name = nodeName(cluster.name);

    const login: Login = { username: "puller", password: randomBytes(12).toString("hex") };
    const loginFile = dir("registry-login.json");
    fs.writeFileSync(loginFile, JSON.stringify(login), { mode: 0o600 });
    const publicRegistry = await startRegistry(cluster.dir, "registry-public", ["-anonymous"], start, untilReady);
    // The password goes to the registry in its arguments: this is a throwaway test login, not a credential to hide.
    const privateRegistry = {
        ...(await startRegistry(
            cluster.dir,
            "registry-private",
            ["-user", login.username, "-password", login.password],
            start,
            untilReady,
        )),
        loginFile,
    };
    const pauseImage = `${publicRegistry.address}/pause:1`;
    pushRunnableImage(publicRegistry, pauseImage, null);

    const socket = dir("containerd", "c.sock");
    writeContainerdConfig(cluster.dir, socket, pauseImage, [publicRegistry, privateRegistry]);
    start("containerd", binary("containerd"), ["--config", dir("containerd", "config.toml")], {
        ...process.env,
        // containerd finds the shim on PATH.
        PATH: `${path.dirname(binary("containerd-shim-runc-v2"))}:${process.env.PATH}`,
    });
    await untilReady(`containerd of ${cluster.name}`, 30, async () => fs.existsSync(socket));

    const cgroupRoot = cgroupRootOf(cluster.name);
    createCgroup(cgroupRoot);
    writeKubeletConfig(cluster.dir, socket, cgroupRoot, ports);
    start("kubelet", binary("kubelet"), [
        `--config=${dir("kubelet.yaml")}`,
        `--kubeconfig=${cluster.kubeconfig}`,
        `--root-dir=${dir("kubelet")}`,
        `--hostname-override=${name}`,
        "--v=1",
    ]);
    await untilReady(`the node ${name} to be Ready`, 90, async () => {
        const response = await apiGet(`/api/v1/nodes/${name}`);
        if (response.status !== 200) {
            return false;
        }
        const conditions: { type: string; status: string }[] = JSON.parse(response.body).status?.conditions ?? [];
        return conditions.some((condition) => condition.type === "Ready" && condition.status === "True");
    });
    return { name, cgroupRoot, publicRegistry, privateRegistry, pauseImage };
}

/** A registry of the node's (testcluster/pullproof), started detached; resolves once it listens. */
async function startRegistry(
    clusterDir: string,
    label: string,
    args: string[],
    start: StartProcess,
    untilReady: UntilReady,
): Promise<NodeRegistry> {
    const dir = path.join(clusterDir, label);
    fs.mkdirSync(dir, { recursive: true });
    start(label, pullProofHelper(), ["serve", "-dir", dir, ...args]);
    // It prints {"address","ca"} on stdout, which is its log, once it listens.
    let listening: { address: string; ca: string } | undefined;
    await untilReady(`the ${label} registry`, 30, async () => {
        const log = fs.readFileSync(path.join(clusterDir, "logs", `${label}.log`), "utf8");
        const line = log.split("\n").find((candidate) => candidate.startsWith('{"address"'));
        listening = line === undefined ? undefined : JSON.parse(line);
        return listening !== undefined;
    });
    return { address: listening!.address, caFile: listening!.ca, dir };
}

/** The private registry's login, which a test puts in the component's arguments. */
export function registryLogin(node: Node): Login {
    return JSON.parse(fs.readFileSync(node.privateRegistry.loginFile, "utf8"));
}

/**
 * Gives the private registry's user a new password: the old one is refused
 * from the next request on, as when a registry's token is revoked.
 */
export function changeRegistryPassword(node: Node, password: string): Login {
    const login = { ...registryLogin(node), password };
    pullproof(["passwd", "-dir", node.privateRegistry.dir, "-user", login.username], login);
    fs.writeFileSync(node.privateRegistry.loginFile, JSON.stringify(login), { mode: 0o600 });
    return login;
}

/** A request for a manifest, as the private registry logged it: who asked, and what the registry made of the login. */
export interface ManifestRequest {
    readonly method: string;
    /** `/v2/<repository>/manifests/<reference>`. */
    readonly uri: string;
    readonly userAgent: string;
    /** `authorized` as `user`; a `wrong-password` for `user`; or `no-credentials` at all. */
    readonly outcome: "authorized" | "wrong-password" | "no-credentials";
    readonly user?: string;
}

/**
 * The private registry's manifest requests, in order, from its log
 * (distribution's logfmt lines): the registry's side of every pull.
 */
export function manifestRequests(node: Node): ManifestRequest[] {
    const log = fs.readFileSync(
        path.join(path.dirname(node.privateRegistry.dir), "logs", "registry-private.log"),
        "utf8",
    );
    const requests: ManifestRequest[] = [];
    for (const line of log.split("\n")) {
        const fields = Object.fromEntries(
            [...line.matchAll(/([\w.]+)=("(?:[^"\\]|\\.)*"|\S+)/g)].map(([, key, value]) => [
                key,
                value.startsWith('"') ? JSON.parse(value) : value,
            ]),
        );
        const uri: string = fields["http.request.uri"] ?? "";
        if (!/^\/v2\/.+\/manifests\//.test(uri)) {
            continue;
        }
        const request = {
            method: fields["http.request.method"],
            uri,
            userAgent: fields["http.request.useragent"] ?? "",
        };
        if (fields.msg === "authorized request") {
            requests.push({ ...request, outcome: "authorized", user: fields["auth.user.name"] });
        } else if (/^error authenticating user/.test(fields.msg)) {
            requests.push({ ...request, outcome: "wrong-password", user: /user "(.*)"/.exec(fields.msg)?.[1] });
        } else if (/invalid authorization credential/.test(fields.msg)) {
            requests.push({ ...request, outcome: "no-credentials" });
        }
    }
    return requests;
}

/** Pushes an image that runs (the sleeper) to one of the node's registries; returns its digest. */
export function pushRunnableImage(registry: NodeRegistry, image: string, login: Login | null): string {
    const pushed = pullproof(["push", "-image", image, "-ca", registry.caFile, "-binary", sleeperBinary()], login);
    return JSON.parse(pushed).digest;
}

/** Runs the pullproof helper with a login (or null) on stdin; its stdout. */
function pullproof(args: string[], login: Login | null): string {
    const result = spawnSync(pullProofHelper(), args, {
        input: JSON.stringify(login),
        encoding: "utf8",
        timeout: 60_000,
    });
    if (result.status !== 0) {
        throw new Error(`pullproof ${args[0]} failed: ${result.error?.message ?? result.stderr.trim()}`);
    }
    return result.stdout;
}

/**
 * containerd's config (version 3), everything in the cluster's folder: its
 * root, state, socket and runc state; the registries trusted through
 * `certs.d`; and a CNI config of loopback alone, which is enough for the
 * runtime to report its network ready (host-network Pods never call CNI).
 */
function writeContainerdConfig(
    clusterDir: string,
    socket: string,
    pauseImage: string,
    registries: readonly NodeRegistry[],
): void {
    const dir = (...parts: string[]) => path.join(clusterDir, ...parts);
    for (const registry of registries) {
        const hostDir = dir("containerd", "certs.d", registry.address);
        fs.mkdirSync(hostDir, { recursive: true });
        fs.writeFileSync(
            path.join(hostDir, "hosts.toml"),
            `server = "https://${registry.address}"\n\n[host."https://${registry.address}"]\n  capabilities = ["pull", "resolve", "push"]\n  ca = ${JSON.stringify(registry.caFile)}\n`,
        );
    }
    fs.mkdirSync(dir("cni", "net.d"), { recursive: true });
    fs.writeFileSync(
        dir("cni", "net.d", "10-loopback.conflist"),
        JSON.stringify({ cniVersion: "1.0.0", name: "loopback", plugins: [{ type: "loopback" }] }),
    );
    const toml = (value: string) => JSON.stringify(value);
    const cri = "plugins.'io.containerd.cri.v1";
    fs.writeFileSync(
        dir("containerd", "config.toml"),
        `version = 3
root = ${toml(dir("containerd", "root"))}
state = ${toml(dir("containerd", "state"))}

[grpc]
  address = ${toml(socket)}

[ttrpc]
  address = ${toml(`${socket}.ttrpc`)}

# NRI's socket is machine-wide (/var/run/nri), which two nodes would share.
[plugins.'io.containerd.nri.v1.nri']
  disable = true

[${cri}.images']
  snapshotter = "overlayfs"

[${cri}.images'.pinned_images]
  sandbox = ${toml(pauseImage)}

[${cri}.images'.registry]
  config_path = ${toml(dir("containerd", "certs.d"))}

[${cri}.runtime']
  # Root here lacks CAP_SYS_RESOURCE: without this every sandbox fails with
  # "nsexec: failed to update /proc/self/oom_score_adj: Permission denied".
  restrict_oom_score_adj = true

[${cri}.runtime'.cni]
  conf_dir = ${toml(dir("cni", "net.d"))}
  bin_dirs = [${toml(dir("cni", "bin"))}]

[${cri}.runtime'.containerd]
  default_runtime_name = "runc"

[${cri}.runtime'.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.runtime'.containerd.runtimes.runc.options]
  BinaryName = ${toml(binary("runc"))}
  Root = ${toml(dir("containerd", "runc"))}
  SystemdCgroup = false

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
`,
    );
}

/** The kubelet's configuration: its ports on loopback, cgroup v1 through cgroupfs, and eviction that a busy test machine never trips. */
function writeKubeletConfig(
    clusterDir: string,
    socket: string,
    cgroupRoot: string,
    ports: { kubelet: number; healthz: number },
): void {
    const dir = (...parts: string[]) => path.join(clusterDir, ...parts);
    fs.writeFileSync(
        dir("kubelet.yaml"),
        YAML.stringify({
            apiVersion: "kubelet.config.k8s.io/v1beta1",
            kind: "KubeletConfiguration",
            containerRuntimeEndpoint: `unix://${socket}`,
            address: "127.0.0.1",
            port: ports.kubelet,
            readOnlyPort: 0,
            healthzBindAddress: "127.0.0.1",
            healthzPort: ports.healthz,
            authentication: { anonymous: { enabled: false }, webhook: { enabled: false } },
            authorization: { mode: "AlwaysAllow" },
            // This machine kind has cgroup v1, which 1.36 refuses unless told.
            failCgroupV1: false,
            cgroupDriver: "cgroupfs",
            cgroupRoot,
            failSwapOn: false,
            podLogsDir: dir("pod-logs"),
            volumePluginDir: dir("volume-plugins"),
            evictionHard: {
                "memory.available": "1Mi",
                "nodefs.available": "1%",
                "nodefs.inodesFree": "1%",
                "imagefs.available": "1%",
            },
            imageGCHighThresholdPercent: 100,
            imageGCLowThresholdPercent: 99,
        }),
    );
}

/**
 * The cgroup hierarchies, by mount point: each v1 controller's, the named
 * systemd one, and the unified (v2) one that runc also writes to on a
 * machine that mounts both.
 */
function cgroupHierarchies(): string[] {
    return fs
        .readFileSync("/proc/self/mountinfo", "utf8")
        .split("\n")
        .filter((line) => / - cgroup2? /.test(line))
        .map((line) => line.split(" ")[4]);
}

/**
 * The kubelet wants its cgroup root in every hierarchy before it starts; a
 * new cpuset cgroup has no CPUs or memory nodes until it is given its
 * parent's.
 */
function createCgroup(root: string): void {
    for (const hierarchy of cgroupHierarchies()) {
        const cgroup = path.join(hierarchy, root);
        fs.mkdirSync(cgroup, { recursive: true });
        for (const file of ["cpuset.cpus", "cpuset.mems"]) {
            if (fs.existsSync(path.join(hierarchy, file))) {
                fs.writeFileSync(path.join(cgroup, file), fs.readFileSync(path.join(hierarchy, file)));
            }
        }
    }
}

/**
 * What stopping a node's processes leaves: its containers (in its cgroups),
 * the shims (which name the cluster's folder), the mounts under the folder
 * (the kubelet's bind of its root, the containers' root filesystems) and its
 * cgroups. Removes them all; a cluster without a node has none of them.
 */
export function cleanUpNode(cluster: string, clusterDir: string): void {
    const root = cgroupRootOf(cluster);
    const cgroups = cgroupHierarchies()
        .map((hierarchy) => path.join(hierarchy, root))
        .filter((cgroup) => fs.existsSync(cgroup));
    const leftovers = () => [...cgroups.flatMap(processesIn), ...processesNaming(clusterDir)];
    waitForSync(
        () => {
            leftovers().forEach(kill);
            return leftovers().length === 0;
        },
        10_000,
        100,
    );
    for (const mountPoint of mountsUnder(clusterDir)) {
        // Lazily when a plain unmount is refused: the folder is removed next either way.
        if (spawnSync("umount", [mountPoint]).status !== 0) {
            spawnSync("umount", ["-l", mountPoint]);
        }
    }
    waitForSync(
        () => {
            cgroups.forEach(removeCgroupTree);
            return cgroups.every((cgroup) => !fs.existsSync(cgroup));
        },
        10_000,
        100,
    );
}

function processesIn(cgroup: string): number[] {
    if (!fs.existsSync(cgroup)) {
        return [];
    }
    const own = fs.readFileSync(path.join(cgroup, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
    const children = fs
        .readdirSync(cgroup, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .flatMap((entry) => processesIn(path.join(cgroup, entry.name)));
    return [...own, ...children];
}

/** Processes whose command line names something in the folder: a node's shims, which outlive containerd. */
export function processesNaming(dir: string): number[] {
    return fs
        .readdirSync("/proc")
        .filter((entry) => /^\d+$/.test(entry))
        .map(Number)
        .filter((pid) => namesFolder(pid, dir));
}

/**
 * Whether a process's command line names something in the folder: how a
 * cluster knows its own processes (a pid can be reused). The "/" keeps the
 * cluster "local" from claiming the processes of "local-2".
 */
export function namesFolder(pid: number, dir: string): boolean {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`${dir}/`);
    } catch {
        return false;
    }
}

function kill(pid: number): void {
    try {
        process.kill(pid, "SIGKILL");
    } catch {
        // Already gone.
    }
}

/** Mount points at or under the folder, deepest first. */
function mountsUnder(dir: string): string[] {
    return fs
        .readFileSync("/proc/self/mountinfo", "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => line.split(" ")[4].replace(/\\040/g, " "))
        .filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(`${dir}/`))
        .sort((a, b) => b.length - a.length);
}

/** rmdir, children first: a cgroup's files go with it, and one that still holds a process stays. */
function removeCgroupTree(cgroup: string): void {
    if (!fs.existsSync(cgroup)) {
        return;
    }
    for (const entry of fs.readdirSync(cgroup, { withFileTypes: true })) {
        if (entry.isDirectory()) {
            removeCgroupTree(path.join(cgroup, entry.name));
        }
    }
    try {
        fs.rmdirSync(cgroup);
    } catch {
        // Busy for a moment after its last process exits; the caller tries again.
    }
}
