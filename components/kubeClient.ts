/**
 * The smallest Kubernetes API client the service-account writer needs: one
 * JSON request over HTTPS with the credentials of a {@link KubeConnection}.
 *
 * It runs inside Pulumi's dynamic provider process, where the code is a
 * serialized copy of these functions, so it uses Node's own modules only,
 * through httpRequest.ts (a package would have to be found again from
 * wherever the provider starts), and keeps no module-level state.
 */
import { execFile } from "child_process";
import { HttpAnswer, httpRequest } from "./httpRequest";
import { ExecConfig, KubeConnection } from "./kubeconfig";

export interface KubeResponse {
    readonly status: number;
    /** The parsed JSON body, or undefined when there is none. */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- whatever JSON the API server sent; each caller reads the fields it needs
    readonly body: any;
}

/**
 * Every item of a LIST, page by page (`pageSize` at a time, following
 * `continue`), so that a huge cluster's answer comes in small pieces: the
 * items, or the first answer that was not HTTP 200. Rejects, as kubeRequest
 * does, only when the server cannot be reached or does not answer in time.
 */
export async function listEvery(
    connection: KubeConnection,
    apiPath: string,
    { query = "", pageSize = 500, timeoutMs = 30_000 }: { query?: string; pageSize?: number; timeoutMs?: number } = {},
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the listed objects, as the API server sent them
): Promise<{ readonly items: any[] } | KubeResponse> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
    const items: any[] = [];
    let page = "";
    do {
        const params = [`limit=${pageSize}`, ...(query === "" ? [] : [query])];
        if (page !== "") {
            params.push(`continue=${encodeURIComponent(page)}`);
        }
        const response = await kubeRequest(
            connection,
            "GET",
            `${apiPath}?${params.join("&")}`,
            undefined,
            undefined,
            timeoutMs,
        );
        if (response.status !== 200) {
            return response;
        }
        items.push(...(response.body?.items ?? []));
        page = response.body?.metadata?.continue ?? "";
    } while (page !== "");
    return { items };
}

/** Sends one request; resolves with any HTTP status, rejects only when the server cannot be reached or does not answer in time. */
export async function kubeRequest(
    connection: KubeConnection,
    method: string,
    apiPath: string,
    body?: unknown,
    contentType = "application/json",
    timeoutMs = 30_000,
): Promise<KubeResponse> {
    const url = new URL(apiPath, connection.server.endsWith("/") ? connection.server : `${connection.server}/`);
    const headers: Record<string, string> = { Accept: "application/json" };
    let clientCertificate = connection.clientCertificateData;
    let clientKey = connection.clientKeyData;
    if (connection.exec !== undefined) {
        const credential = await execCredential(connection.exec, connection.server);
        if (credential.token !== undefined) {
            headers.Authorization = `Bearer ${credential.token}`;
        }
        clientCertificate = credential.clientCertificateData ?? clientCertificate;
        clientKey = credential.clientKeyData ?? clientKey;
    } else if (connection.token !== undefined) {
        headers.Authorization = `Bearer ${connection.token}`;
    } else if (connection.username !== undefined) {
        headers.Authorization = `Basic ${Buffer.from(`${connection.username}:${connection.password ?? ""}`).toString("base64")}`;
    }
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
        headers["Content-Type"] = contentType;
        headers["Content-Length"] = String(Buffer.byteLength(payload));
    }
    const decode = (data: string | undefined) => (data === undefined ? undefined : Buffer.from(data, "base64"));
    // Raw PEM is accepted too: client-go's exec credentials carry PEM, kubeconfig's *-data fields base64.
    const pem = (data: string | undefined) =>
        data !== undefined && data.includes("-----BEGIN") ? Buffer.from(data) : decode(data);

    let answer: HttpAnswer;
    try {
        answer = await httpRequest(
            url,
            {
                method,
                headers,
                ca: decode(connection.certificateAuthorityData),
                cert: pem(clientCertificate),
                key: pem(clientKey),
                servername: connection.tlsServerName,
                rejectUnauthorized: connection.insecureSkipTlsVerify !== true,
                timeoutMs,
            },
            payload,
        );
    } catch (error) {
        throw new Error(`cannot reach the Kubernetes API at ${url.origin}: ${(error as Error).message}`, {
            cause: error,
        });
    }
    let parsed: unknown;
    try {
        parsed = answer.body === "" ? undefined : JSON.parse(answer.body);
    } catch {
        parsed = { message: answer.body.slice(0, 300) };
    }
    return { status: answer.status, body: parsed };
}

interface ExecCredentialStatus {
    readonly token?: string;
    readonly clientCertificateData?: string;
    readonly clientKeyData?: string;
    readonly expirationTimestamp?: string;
}

/**
 * Runs a client-go credential plugin, as kubectl does, and keeps its answer
 * until it expires: a rollout makes many requests, and plugins such as
 * `aws eks get-token` take a second each.
 */
async function execCredential(exec: ExecConfig, server: string): Promise<ExecCredentialStatus> {
    const key = JSON.stringify(exec);
    const cache: Record<string, ExecCredentialStatus> = ((
        globalThis as { __regcredExecCredentials?: Record<string, ExecCredentialStatus> }
    ).__regcredExecCredentials ??= {});
    const cached = cache[key];
    if (
        cached !== undefined &&
        (cached.expirationTimestamp === undefined || Date.parse(cached.expirationTimestamp) - Date.now() > 60_000)
    ) {
        return cached;
    }
    const env = { ...process.env, ...Object.fromEntries((exec.env ?? []).map(({ name, value }) => [name, value])) };
    env.KUBERNETES_EXEC_INFO = JSON.stringify({
        apiVersion: exec.apiVersion,
        kind: "ExecCredential",
        spec: { cluster: { server }, interactive: false },
    });
    const stdout = await new Promise<string>((resolve, reject) =>
        execFile(exec.command, exec.args ?? [], { env, timeout: 60_000, maxBuffer: 1 << 20 }, (error, out, err) =>
            error
                ? reject(
                      new Error(
                          `the kubeconfig's credential plugin ${exec.command} failed: ${String(err).trim().slice(0, 300) || error.message}`,
                      ),
                  )
                : resolve(out),
        ),
    );
    let status: ExecCredentialStatus | undefined;
    try {
        status = JSON.parse(stdout).status;
    } catch {
        status = undefined;
    }
    if (status === undefined) {
        throw new Error(`the kubeconfig's credential plugin ${exec.command} printed no ExecCredential status`);
    }
    cache[key] = status;
    return status;
}
