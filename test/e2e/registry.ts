/**
 * The pull proof's registry side, through testcluster/pullproof: a real OCI
 * registry (distribution) on loopback with htpasswd auth and TLS, a push and
 * a manifest pull (go-containerregistry), and the kubelet's own lookup
 * (k8s.io/kubernetes pkg/credentialprovider/secrets) of a Secret as the API
 * server returned it.
 */
import { strict as assert } from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createInterface } from "readline";
import { encodeDockerConfig } from "../../components/dockerConfig";
import { Cluster } from "../../testcluster/controlPlane";
import { createObject } from "./cluster";
import { pullProofHelper } from "../../testcluster/toolchain";

export interface Login {
    readonly username: string;
    readonly password: string;
}

export interface LocalRegistry {
    /** `127.0.0.1:<port>`. */
    readonly address: string;
    /** The registry's self-signed certificate, PEM. */
    readonly caFile: string;
    readonly login: Login;
    stop(): void;
}

let helper: string | undefined;

/** The helper's path, built into the cache on first use (a few minutes, once). */
function pullproof(): string {
    helper ??= pullProofHelper((line) => process.stderr.write(`      ${line}\n`));
    return helper;
}

/** Starts a registry that accepts only `login`; resolves once it listens. */
export async function startRegistry(login: Login): Promise<LocalRegistry> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "regcred-registry-"));
    const log = fs.openSync(path.join(dir, "registry.log"), "w");
    const child: ChildProcess = spawn(
        pullproof(),
        ["serve", "-dir", dir, "-user", login.username, "-password", login.password],
        { stdio: ["ignore", "pipe", log] },
    );
    const stop = () => {
        child.kill();
        fs.closeSync(log);
        fs.rmSync(dir, { recursive: true, force: true });
    };
    const first = await new Promise<string>((resolve, reject) => {
        const exited = (code: number | null) =>
            reject(
                new Error(`the registry exited (${code}): ${fs.readFileSync(path.join(dir, "registry.log"), "utf8")}`),
            );
        child.once("exit", exited);
        createInterface({ input: child.stdout! }).once("line", (line) => {
            child.off("exit", exited);
            resolve(line);
        });
    }).catch((error) => {
        stop();
        throw error;
    });
    const { address, ca } = JSON.parse(first);
    return { address, caFile: ca, login, stop };
}

function run(args: string[], input: unknown): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync(pullproof(), args, { input: JSON.stringify(input), encoding: "utf8", timeout: 60_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Pushes a small random image; returns its digest. */
export function pushImage(registry: LocalRegistry, image: string): string {
    const result = run(["push", "-image", image, "-ca", registry.caFile], registry.login);
    assert.equal(result.status, 0, `push ${image}: ${result.stderr}`);
    return JSON.parse(result.stdout).digest;
}

/** What the kubelet's keyring, built from this Secret, gives for the image. */
export function kubeletLookup(secret: object, image: string): { found: boolean; logins: Login[] } {
    const result = run(["resolve", "-image", image], secret);
    assert.equal(result.status, 0, `resolve ${image}: ${result.stderr}`);
    return JSON.parse(result.stdout);
}

/** Pulls the image's manifest with a login (or none); its digest, or the client's error. */
export function pullManifest(
    registry: LocalRegistry,
    image: string,
    login: Login | null,
): { digest: string } | { error: string } {
    const result = run(["pull-manifest", "-image", image, "-ca", registry.caFile], login);
    return result.status === 0 ? { digest: JSON.parse(result.stdout).digest } : { error: result.stderr.trim() };
}

/** Every spelling of a registry's server that the component accepts, and kubectl's --docker-server would. */
export function acceptedSpellings(address: string): string[] {
    return [
        address,
        `${address}/`,
        `https://${address}`,
        `https://${address}/`,
        `https://${address}/v2/`,
        `https://${address}/v1/`,
        `http://${address}`,
        `${address}/team`,
    ];
}

/** Spellings the kubelet never matches, which the component refuses. */
export function neverMatchedSpellings(address: string): string[] {
    return [`oci://${address}`, `HTTPS://${address}`, ` ${address}`, `${address} `, `${address}\t`];
}

/** A pull Secret for one login, written as kubectl or another tool would, without the component. */
export function writePullSecret(
    cluster: Cluster,
    namespace: string,
    name: string,
    login: Login & { server: string },
): void {
    createObject(cluster, {
        apiVersion: "v1",
        kind: "Secret",
        type: "kubernetes.io/dockerconfigjson",
        metadata: { name, namespace },
        data: { ".dockerconfigjson": Buffer.from(encodeDockerConfig([login])).toString("base64") },
    });
}
