/**
 * The cluster connection the Kubernetes provider would use, read from the
 * same kubeconfig, context and cluster the provider was given (or, for the
 * default provider, from the stack's `kubernetes:` config and the
 * environment, as the provider reads them). The service-account writer
 * (entriesResource.ts) runs in Pulumi's dynamic provider process,
 * which cannot see the Kubernetes provider, so the program reads the
 * kubeconfig for it: the user passes credentials once, to their provider.
 *
 * Also the kubeconfig as kubectl reads it (the files KUBECONFIG lists, the
 * first `current-context` among them, which file defines a context), for
 * programs that pick a provider's kubeconfig file, as this repository's
 * stacks do: the provider reads only one file.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

/** How to reach one cluster and who to be there: everything the writer needs, as plain data. */
export interface KubeConnection {
    readonly server: string;
    readonly certificateAuthorityData?: string;
    readonly insecureSkipTlsVerify?: boolean;
    readonly tlsServerName?: string;
    readonly clientCertificateData?: string;
    readonly clientKeyData?: string;
    readonly token?: string;
    readonly username?: string;
    readonly password?: string;
    /** A client-go credential plugin (EKS, GKE, AKS, OIDC login tools), run by the writer when it needs a token. */
    readonly exec?: ExecConfig;
}

/** A kubeconfig that could not be used, and why: the writer reports it when asked to write. */
export interface UnusableConnection {
    readonly unusable: string;
}

export interface ExecConfig {
    readonly apiVersion: string;
    readonly command: string;
    readonly args?: string[];
    readonly env?: { name: string; value: string }[];
}

/** What a Kubernetes provider was given: each may be unset. */
export interface ProviderConnection {
    /** The contents of a kubeconfig, or the path of one file (as the provider takes it), or KUBECONFIG's list of files. */
    readonly kubeconfig?: string;
    readonly context?: string;
    readonly cluster?: string;
}

interface Named<T> {
    readonly name?: string;
    readonly cluster?: T;
    readonly user?: T;
    readonly context?: T;
}

interface KubeconfigDocument {
    readonly "current-context"?: string;
    readonly clusters?: Named<Record<string, unknown>>[];
    readonly users?: Named<Record<string, unknown>>[];
    readonly contexts?: Named<Record<string, unknown>>[];
}

/** A kubeconfig document with the directory its relative file names are read from. */
interface Source {
    readonly document: KubeconfigDocument;
    readonly dir: string;
}

/** The files KUBECONFIG lists, in its order. */
export function listedFiles(kubeconfig: string | undefined): string[] {
    return (kubeconfig ?? "").split(path.delimiter).filter((file) => file !== "");
}

/** The files KUBECONFIG lists, or ~/.kube/config, as kubectl reads them. */
export function kubeconfigFiles(kubeconfig = process.env.KUBECONFIG): string[] {
    const listed = listedFiles(kubeconfig);
    return listed.length > 0 ? listed : [path.join(os.homedir(), ".kube", "config")];
}

/** A kubeconfig file, parsed, or undefined when it cannot be read. */
export function readKubeconfigFile(file: string): KubeconfigDocument | undefined {
    try {
        return YAML.parse(fs.readFileSync(file, "utf8")) ?? undefined;
    } catch {
        return undefined;
    }
}

/**
 * The connection, or why there is none. A kubeconfig that cannot be used is
 * not an error here (render needs no cluster): the cluster check and the
 * entries writer report the reason when they need the cluster.
 */
export function connectionOrReason(settings: ProviderConnection): KubeConnection | UnusableConnection {
    try {
        return connectionFor(settings);
    } catch (error) {
        return { unusable: (error as Error).message };
    }
}

/**
 * Resolves a provider's settings to a connection. Throws an Error naming
 * the context, cluster or user that is missing or unusable; its message
 * never holds a credential.
 */
export function connectionFor(settings: ProviderConnection): KubeConnection {
    const sources = kubeconfigSources(settings.kubeconfig);
    const pick = <T>(list: "clusters" | "users" | "contexts", name: string, field: "cluster" | "user" | "context") => {
        for (const { document, dir } of sources) {
            const found = document[list]?.find((entry) => entry?.name === name)?.[field];
            if (found !== undefined) {
                return { value: found as T, dir };
            }
        }
        return undefined;
    };

    const contextName =
        settings.context ??
        sources
            .map(({ document }) => document["current-context"])
            .find((name) => typeof name === "string" && name !== "");
    if (contextName === undefined) {
        throw new Error("the kubeconfig sets no current-context and the provider names no context");
    }
    const context = pick<{ cluster?: string; user?: string }>("contexts", contextName, "context");
    if (context === undefined) {
        throw new Error(`the kubeconfig has no context named "${contextName}"`);
    }
    const clusterName = settings.cluster ?? context.value.cluster ?? "";
    const cluster = pick<Record<string, unknown>>("clusters", clusterName, "cluster");
    if (cluster === undefined || typeof cluster.value.server !== "string") {
        throw new Error(
            `the kubeconfig has no cluster named "${clusterName}" with a server (context "${contextName}")`,
        );
    }
    const userName = context.value.user ?? "";
    const user = pick<Record<string, unknown>>("users", userName, "user") ?? { value: {}, dir: cluster.dir };
    if (user.value["auth-provider"] !== undefined) {
        throw new Error(
            `the kubeconfig's user "${userName}" authenticates with an auth-provider, which client-go no longer supports and the service-account writer does not: use the exec credential plugin your cloud provides`,
        );
    }

    const c = cluster.value;
    const u = user.value;
    return dropUndefined({
        server: c.server as string,
        certificateAuthorityData: dataOrFile(c, "certificate-authority", cluster.dir),
        insecureSkipTlsVerify: c["insecure-skip-tls-verify"] === true ? true : undefined,
        tlsServerName: str(c["tls-server-name"]),
        clientCertificateData: dataOrFile(u, "client-certificate", user.dir),
        clientKeyData: dataOrFile(u, "client-key", user.dir),
        token:
            str(u.token) ??
            (typeof u.tokenFile === "string"
                ? fs.readFileSync(path.resolve(user.dir, u.tokenFile), "utf8").trim()
                : undefined),
        username: str(u.username),
        password: str(u.password),
        exec: u.exec === undefined ? undefined : (dropUndefined(u.exec as object) as ExecConfig),
    });
}

/**
 * The documents to look names up in, first wins (kubectl's merge rule): the
 * provider's `kubeconfig` as contents or as a path, else KUBECONFIG's files
 * or ~/.kube/config.
 */
function kubeconfigSources(kubeconfig: string | undefined): Source[] {
    const text = kubeconfig?.trim();
    if (text !== undefined && text !== "" && (text.includes("\n") || text.startsWith("{"))) {
        return [{ document: YAML.parse(text) ?? {}, dir: process.cwd() }];
    }
    const files = kubeconfigFiles(text === "" ? undefined : text);
    const sources = files.flatMap((file) => {
        const document = readKubeconfigFile(file);
        return document === undefined ? [] : [{ document, dir: path.dirname(path.resolve(file)) }];
    });
    if (sources.length === 0) {
        throw new Error(`no kubeconfig could be read from ${files.join(", ")}`);
    }
    return sources;
}

/** `<name>-data` as given, or the file `<name>` read and base64-encoded, as kubeconfig allows either. */
function dataOrFile(entry: Record<string, unknown>, name: string, dir: string): string | undefined {
    const data = str(entry[`${name}-data`]);
    if (data !== undefined) {
        return data;
    }
    const file = str(entry[name]);
    return file === undefined ? undefined : fs.readFileSync(path.resolve(dir, file)).toString("base64");
}

function str(value: unknown): string | undefined {
    return typeof value === "string" && value !== "" ? value : undefined;
}

function dropUndefined<T extends object>(object: T): T {
    return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined && value !== null)) as T;
}

/** The current context as kubectl resolves it (the first file that sets one wins), with that file. */
export function currentContext(kubeconfig = process.env.KUBECONFIG): { context: string; file: string } | undefined {
    for (const file of kubeconfigFiles(kubeconfig)) {
        const context = readKubeconfigFile(file)?.["current-context"];
        if (typeof context === "string" && context !== "") {
            return { context, file };
        }
    }
    return undefined;
}

/**
 * The provider reads KUBECONFIG as one file (or one document), where kubectl
 * takes a list of files: `KUBECONFIG=eu.yaml:us.yaml` fails in the provider
 * with a JSON parse error. So when KUBECONFIG lists several files, give each
 * provider the file that defines its context. With one file, or none that
 * defines it, leave the provider to its defaults.
 */
export function kubeconfigFileFor(
    context: string | undefined,
    kubeconfig = process.env.KUBECONFIG,
): string | undefined {
    const files = listedFiles(kubeconfig);
    if (files.length < 2) {
        return undefined;
    }
    const wanted = context ?? currentContext(kubeconfig)?.context;
    return files.find((file) => fileDefines(file, wanted));
}

/** Whether any of the kubeconfig's files defines the context (read offline, as render reads it). */
export function definesContext(context: string, kubeconfig = process.env.KUBECONFIG): boolean {
    return kubeconfigFiles(kubeconfig).some((file) => fileDefines(file, context));
}

function fileDefines(file: string, context: string | undefined): boolean {
    return (readKubeconfigFile(file)?.contexts ?? []).some((entry) => entry?.name === context);
}
