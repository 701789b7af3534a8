/**
 * A throwaway Kubernetes control plane on loopback: etcd, kube-apiserver and
 * kube-controller-manager (only the controllers that make service accounts,
 * empty deleted namespaces and collect garbage). With `node`, also a real
 * node (./node.ts) and the controllers that turn Deployments into Pods; no
 * scheduler runs, so a Pod names its node.
 *
 * Everything a cluster has (certificates, tokens, kubeconfig, etcd's data,
 * logs, the processes' ids) lives in one folder of the cache, so that `down`
 * removes all of it, and clusters with different names never share a port
 * or a file.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import YAML from "yaml";
import { httpRequest } from "../components/httpRequest";
import { Node, checkNodeSupport, cleanUpNode, namesFolder, startNode } from "./node";
import { binary, cacheDir } from "./toolchain";
import { waitFor, waitForSync } from "./waitFor";

/** The identities every cluster has, each with its own kubeconfig context. */
export const ADMIN_USER = "regcred-admin";
export const DEPLOYER_USER = "regcred-deployer";

/** What `up` leaves behind for `env`, `down` and the tests. */
export interface Cluster {
    readonly name: string;
    readonly dir: string;
    readonly server: string;
    readonly kubeconfig: string;
    /** Context names: the admin (system:masters) and the least-privilege deployer. */
    readonly adminContext: string;
    readonly deployerContext: string;
    readonly pids: Readonly<Record<string, number>>;
    /** The node, when the cluster was started with one. */
    readonly node?: Node;
}

export interface UpOptions {
    /** Start a node too (a kubelet on containerd and runc, and two local registries). */
    readonly node?: boolean;
}

/** A cluster name becomes a folder and a context name, so keep it simple. */
export function checkClusterName(name: string): void {
    if (!/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(name)) {
        throw new Error(`cluster name "${name}" must be lowercase letters, digits and '-', at most 32 characters`);
    }
}

export function clusterDir(name: string): string {
    return path.join(cacheDir(), "clusters", name);
}

/** The state of a cluster that `up` finished starting, or undefined. */
export function readState(name: string): Cluster | undefined {
    try {
        return JSON.parse(fs.readFileSync(path.join(clusterDir(name), "state.json"), "utf8"));
    } catch {
        return undefined;
    }
}

/**
 * Starts a cluster, or returns the one already running under that name. It
 * returns once the API server is ready and the `default` namespace's
 * `default` service account exists. A start that fails stops what it started
 * and removes the folder.
 */
export async function up(name: string, log: (line: string) => void, options: UpOptions = {}): Promise<Cluster> {
    checkClusterName(name);
    if (options.node) {
        checkNodeSupport();
    }
    const running = readState(name);
    if (running !== undefined && (!options.node || running.node !== undefined) && (await isReady(running))) {
        log(`cluster ${name} is already running: ${running.server}`);
        return running;
    }
    down(name);

    const dir = clusterDir(name);
    const pids: Record<string, number> = {};
    const started = Date.now();
    // A process that exits while we wait for the cluster ends the wait at once.
    const exited: string[] = [];
    const startProcess = (label: string, command: string, args: string[], env?: NodeJS.ProcessEnv) => {
        const child = startDetached(dir, pids, label, command, args, env);
        child.once("exit", (code, signal) => exited.push(`${label} exited (${signal ?? `code ${code}`})`));
    };
    const untilReady = (awaited: string, seconds: number, check: () => Promise<boolean>) =>
        waitFor(
            async () => {
                if (exited.length > 0) {
                    throw new Error(`${exited.join(", ")} while waiting for ${awaited}\n${logTail(dir)}`);
                }
                return check();
            },
            {
                awaited,
                timeoutMs: seconds * 1000,
                intervalMs: 250,
                lastSeen: () => `the control plane's logs:\n${logTail(dir)}`,
            },
        );
    try {
        fs.mkdirSync(path.join(dir, "logs"), { recursive: true });
        fs.writeFileSync(path.join(dir, "pids.json"), "{}");
        const [etcdClient, etcdPeer, apiserverPort] = await freePorts(3);
        const pki = makeCertificates(path.join(dir, "pki"));
        const tokens = { admin: randomBytes(24).toString("hex"), deployer: randomBytes(24).toString("hex") };
        fs.writeFileSync(
            path.join(dir, "tokens.csv"),
            `${tokens.admin},${ADMIN_USER},${ADMIN_USER},"system:masters"\n${tokens.deployer},${DEPLOYER_USER},${DEPLOYER_USER}\n`,
            { mode: 0o600 },
        );

        const etcd = `http://127.0.0.1:${etcdClient}`;
        startProcess("etcd", binary("etcd"), [
            `--name=${name}`,
            `--data-dir=${path.join(dir, "etcd")}`,
            `--listen-client-urls=${etcd}`,
            `--advertise-client-urls=${etcd}`,
            `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
            `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
            `--initial-cluster=${name}=http://127.0.0.1:${etcdPeer}`,
            // A test cluster's data is thrown away: skip the disk syncs that dominate its latency.
            "--unsafe-no-fsync",
            "--log-level=warn",
        ]);

        const server = `https://127.0.0.1:${apiserverPort}`;
        startProcess("kube-apiserver", binary("kube-apiserver"), [
            `--etcd-servers=${etcd}`,
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            `--secure-port=${apiserverPort}`,
            `--tls-cert-file=${pki.serverCert}`,
            `--tls-private-key-file=${pki.serverKey}`,
            `--client-ca-file=${pki.caCert}`,
            `--token-auth-file=${path.join(dir, "tokens.csv")}`,
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc",
            `--service-account-key-file=${pki.serviceAccountPublic}`,
            `--service-account-signing-key-file=${pki.serviceAccountPrivate}`,
            "--service-cluster-ip-range=10.96.0.0/16",
            // No node runs here, so there is no endpoint to publish for the API server.
            "--endpoint-reconciler-type=none",
            `--cert-dir=${path.join(dir, "pki")}`,
        ]);

        let state: Cluster = {
            name,
            dir,
            server,
            kubeconfig: path.join(dir, "kubeconfig"),
            adminContext: name,
            deployerContext: `${name}-deployer`,
            pids,
        };
        writeKubeconfigs(state, pki.caCert, tokens);
        await untilReady(
            `the API server of ${name} to be ready`,
            90,
            async () => (await apiGet(state, "/readyz")).status === 200,
        );

        const controllers = ["serviceaccount-controller", "namespace-controller", "garbage-collector-controller"];
        if (options.node) {
            controllers.push("deployment-controller", "replicaset-controller");
        }
        startProcess("kube-controller-manager", binary("kube-controller-manager"), [
            `--kubeconfig=${path.join(dir, "controller-manager.kubeconfig")}`,
            `--controllers=${controllers.join(",")}`,
            "--leader-elect=false",
            "--secure-port=0",
            // With the client's default of 20 requests a second, the service-account controller
            // made 4,115 of 10,000 namespaces' default service accounts in 3 minutes.
            "--kube-api-qps=1000",
            "--kube-api-burst=2000",
        ]);
        await untilReady(
            `the default service account in ${name}`,
            60,
            async () => (await apiGet(state, "/api/v1/namespaces/default/serviceaccounts/default")).status === 200,
        );
        if (options.node) {
            const [kubelet, healthz] = await freePorts(2);
            const node = await startNode(state, { kubelet, healthz }, startProcess, untilReady, (urlPath) =>
                apiGet(state, urlPath),
            );
            state = { ...state, node };
        }

        fs.writeFileSync(path.join(dir, "state.json"), JSON.stringify(state, null, 2));
        log(`cluster ${name} is ready at ${server} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
        return state;
    } catch (error) {
        down(name);
        throw error;
    }
}

/** Stops every process a cluster started and removes its folder. Returns whether there was one. */
export function down(name: string): boolean {
    checkClusterName(name);
    const dir = clusterDir(name);
    if (!fs.existsSync(dir)) {
        return false;
    }
    let pids: Record<string, number> = {};
    try {
        pids = JSON.parse(fs.readFileSync(path.join(dir, "pids.json"), "utf8"));
    } catch {
        // A folder without pids.json started nothing.
    }
    // The node first (kubelet, containerd, registries), etcd last, as a cluster is taken down.
    for (const pid of Object.values(pids).reverse()) {
        stopProcess(pid, dir);
    }
    cleanUpNode(name, dir);
    fs.rmSync(dir, { recursive: true, force: true });
    return true;
}

/** The names of the clusters with a folder in the cache. */
export function listClusters(): string[] {
    const root = path.join(cacheDir(), "clusters");
    return fs.existsSync(root) ? fs.readdirSync(root).sort() : [];
}

/**
 * Starts one control-plane process in the background, logging to the
 * cluster's folder. Its pid is recorded before anything waits on it, so a
 * failure later still stops it.
 */
function startDetached(
    dir: string,
    pids: Record<string, number>,
    name: string,
    command: string,
    args: string[],
    env?: NodeJS.ProcessEnv,
): ChildProcess {
    const logFile = fs.openSync(path.join(dir, "logs", `${name}.log`), "a");
    // Detached, in its own process group, so it outlives `npm run cluster -- up`.
    const child: ChildProcess = spawn(command, args, { detached: true, stdio: ["ignore", logFile, logFile], env });
    fs.closeSync(logFile);
    if (child.pid === undefined) {
        throw new Error(`cannot start ${command}`);
    }
    child.unref();
    pids[name] = child.pid;
    fs.writeFileSync(path.join(dir, "pids.json"), JSON.stringify(pids));
    return child;
}

/** Stops a process only if it is still one this cluster started (a pid can be reused). */
function stopProcess(pid: number, dir: string): void {
    const owned = () => namesFolder(pid, dir);
    const signal = (sig: NodeJS.Signals) => {
        try {
            process.kill(pid, sig);
        } catch {
            // Already gone.
        }
    };
    if (!owned()) {
        return;
    }
    signal("SIGTERM");
    if (!waitForSync(() => !owned(), 10_000, 100)) {
        signal("SIGKILL");
    }
}

interface Pki {
    readonly caCert: string;
    readonly serverCert: string;
    readonly serverKey: string;
    readonly serviceAccountPrivate: string;
    readonly serviceAccountPublic: string;
}

/** A CA, the API server's serving certificate for 127.0.0.1, and the service-account signing key, with openssl. */
function makeCertificates(dir: string): Pki {
    fs.mkdirSync(dir, { recursive: true });
    const file = (name: string) => path.join(dir, name);
    const openssl = (...args: string[]) => {
        const result = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
        if (result.error || result.status !== 0) {
            throw new Error(`openssl ${args[0]} failed: ${result.error?.message ?? result.stderr}`);
        }
    };
    const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        "req",
        "-x509",
        ...ecKey,
        "-keyout",
        file("ca.key"),
        "-out",
        file("ca.crt"),
        "-days",
        "30",
        "-subj",
        "/CN=regcred-test-cluster-ca",
    );
    openssl(
        "req",
        ...ecKey,
        "-keyout",
        file("apiserver.key"),
        "-out",
        file("apiserver.csr"),
        "-subj",
        "/CN=kube-apiserver",
    );
    fs.writeFileSync(file("apiserver.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    openssl(
        "x509",
        "-req",
        "-in",
        file("apiserver.csr"),
        "-CA",
        file("ca.crt"),
        "-CAkey",
        file("ca.key"),
        "-CAcreateserial",
        "-out",
        file("apiserver.crt"),
        "-days",
        "30",
        "-extfile",
        file("apiserver.ext"),
    );
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", file("sa.key"));
    openssl("pkey", "-in", file("sa.key"), "-pubout", "-out", file("sa.pub"));
    return {
        caCert: file("ca.crt"),
        serverCert: file("apiserver.crt"),
        serverKey: file("apiserver.key"),
        serviceAccountPrivate: file("sa.key"),
        serviceAccountPublic: file("sa.pub"),
    };
}

/** The users' kubeconfig (admin context current, deployer beside it) and the controller manager's. */
function writeKubeconfigs(state: Cluster, caCert: string, tokens: { admin: string; deployer: string }): void {
    const cluster = {
        name: state.name,
        cluster: { server: state.server, "certificate-authority-data": fs.readFileSync(caCert).toString("base64") },
    };
    const kubeconfig = (contexts: { name: string; user: string; token: string }[]) =>
        YAML.stringify({
            apiVersion: "v1",
            kind: "Config",
            "current-context": contexts[0].name,
            clusters: [cluster],
            users: contexts.map(({ user, token }) => ({ name: `${user}@${state.name}`, user: { token } })),
            contexts: contexts.map(({ name, user }) => ({
                name,
                context: { cluster: state.name, user: `${user}@${state.name}` },
            })),
        });
    const admin = { name: state.adminContext, user: ADMIN_USER, token: tokens.admin };
    fs.writeFileSync(
        state.kubeconfig,
        kubeconfig([admin, { name: state.deployerContext, user: DEPLOYER_USER, token: tokens.deployer }]),
        { mode: 0o600 },
    );
    fs.writeFileSync(path.join(state.dir, "controller-manager.kubeconfig"), kubeconfig([admin]), { mode: 0o600 });
}

/** A GET on the API server as the admin; status 0 when it does not answer. */
export function apiGet(state: Cluster, urlPath: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
    const config = YAML.parse(fs.readFileSync(state.kubeconfig, "utf8"));
    const ca = Buffer.from(config.clusters[0].cluster["certificate-authority-data"], "base64");
    const token = config.users[0].user.token;
    return httpRequest(new URL(`${state.server}${urlPath}`), {
        ca,
        headers: { Authorization: `Bearer ${token}` },
        timeoutMs,
        agent: false,
    }).catch(() => ({ status: 0, body: "" }));
}

async function isReady(state: Cluster): Promise<boolean> {
    return fs.existsSync(state.kubeconfig) && (await apiGet(state, "/readyz")).status === 200;
}

function logTail(dir: string): string {
    const logs = path.join(dir, "logs");
    return fs
        .readdirSync(logs)
        .map(
            (file) =>
                `--- ${file} (last lines)\n${fs.readFileSync(path.join(logs, file), "utf8").split("\n").slice(-15).join("\n")}`,
        )
        .join("\n");
}

/** Free TCP ports on 127.0.0.1, as the kernel hands them out. */
export async function freePorts(count: number): Promise<number[]> {
    const servers = await Promise.all(
        Array.from(
            { length: count },
            () =>
                new Promise<net.Server>((resolve, reject) => {
                    const server = net.createServer();
                    server.once("error", reject);
                    server.listen(0, "127.0.0.1", () => resolve(server));
                }),
        ),
    );
    const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    return ports;
}
