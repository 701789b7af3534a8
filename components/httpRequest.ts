/**
 * One HTTP(S) request with Node's own modules, for the two places the
 * component talks to a server itself: the service-account writer, to the
 * Kubernetes API (kubeClient.ts, which runs in Pulumi's dynamic provider
 * process, hence no packages), and the login check, to registries
 * (verifyLogins.ts). Redirects are not followed. It resolves with any HTTP
 * status and rejects only when there is no answer: an error with the
 * socket's code, or `ETIMEDOUT` after `timeoutMs`.
 */
import * as http from "http";
import * as https from "https";

export interface HttpAnswer {
    readonly status: number;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
}

export interface HttpRequestOptions extends https.RequestOptions {
    readonly timeoutMs: number;
    /** Keep at most about this many characters of the body. */
    readonly maxBodyChars?: number;
}

export function httpRequest(
    url: URL,
    { timeoutMs, maxBodyChars = Infinity, ...options }: HttpRequestOptions,
    payload?: string,
): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
        // http: too, as a kubeconfig or a registry's server may say.
        const request = (url.protocol === "http:" ? http : https).request(
            url,
            { ...options, timeout: timeoutMs },
            (response) => {
                let body = "";
                response.setEncoding("utf8");
                response.on("data", (chunk: string) => {
                    if (body.length < maxBodyChars) body += chunk;
                });
                response.on("end", () =>
                    resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
                );
                response.on("error", reject);
            },
        );
        request.on("timeout", () =>
            request.destroy(
                Object.assign(new Error(`no answer from ${url.origin} in ${timeoutMs / 1000} s`), {
                    code: "ETIMEDOUT",
                }),
            ),
        );
        request.on("error", reject);
        request.end(payload);
    });
}
