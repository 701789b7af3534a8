/**
 * A registry's auth endpoints, faked in-process for the verifyLogins tests:
 * `/v2/` with a Basic or Bearer challenge, a token service for Bearer, and
 * one repository's tag list. Plain HTTP on loopback, so the server is
 * written `http://127.0.0.1:<port>`. It records every request it answers.
 */
import * as http from "http";
import { AddressInfo } from "net";

export interface FakeRegistrySettings {
    readonly scheme: "basic" | "bearer";
    readonly username: string;
    readonly password: string;
    /** The repository the login may pull from; others answer 403 (Basic) or get a token without access (Bearer). */
    readonly repository?: string;
    /** What `/v2/` answers without credentials instead of its challenge, to fake something that is not a registry. */
    readonly probeStatus?: number;
}

export interface FakeRegistry {
    /** `http://127.0.0.1:<port>`. */
    readonly server: string;
    /** Each request's path with query, and its Authorization header. */
    readonly requests: { url: string; authorization?: string }[];
    close(): Promise<void>;
}

const TOKEN_WITH_ACCESS = "token-with-access";
const TOKEN_WITHOUT_ACCESS = "token-without-access";

export async function startFakeRegistry(settings: FakeRegistrySettings): Promise<FakeRegistry> {
    const requests: FakeRegistry["requests"] = [];
    const goodBasic = `Basic ${Buffer.from(`${settings.username}:${settings.password}`).toString("base64")}`;
    const server = http.createServer((request, response) => {
        const url = new URL(request.url ?? "/", "http://fake");
        const authorization = request.headers.authorization;
        requests.push({ url: request.url ?? "", authorization });
        const answer = (status: number, body: unknown = {}, headers: Record<string, string> = {}) => {
            response.writeHead(status, { "content-type": "application/json", ...headers });
            response.end(JSON.stringify(body));
        };
        const challenge =
            settings.scheme === "basic"
                ? `Basic realm="fake"`
                : `Bearer realm="http://127.0.0.1:${port()}/token",service="fake-registry"`;

        if (url.pathname === "/token") {
            if (settings.scheme !== "bearer" || authorization !== goodBasic) {
                return answer(401, { errors: [{ code: "UNAUTHORIZED" }] });
            }
            // Like real token services, a scope the login lacks gets a token without that access, not a 401.
            const scope = url.searchParams.get("scope");
            const granted = scope === null || scope === `repository:${settings.repository}:pull`;
            return answer(200, { token: granted ? TOKEN_WITH_ACCESS : TOKEN_WITHOUT_ACCESS });
        }
        if (url.pathname === "/v2/" && authorization === undefined && settings.probeStatus !== undefined) {
            return answer(settings.probeStatus);
        }
        const repository = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname)?.[1];
        if (url.pathname !== "/v2/" && repository === undefined) {
            return answer(404);
        }
        const authenticated =
            settings.scheme === "basic"
                ? authorization === goodBasic
                : authorization?.startsWith("Bearer token-") === true;
        if (!authenticated) {
            return answer(401, { errors: [{ code: "UNAUTHORIZED" }] }, { "www-authenticate": challenge });
        }
        if (repository !== undefined) {
            const allowed =
                settings.scheme === "basic"
                    ? repository === settings.repository
                    : authorization === `Bearer ${TOKEN_WITH_ACCESS}`;
            return allowed
                ? answer(200, { name: repository, tags: ["1"] })
                : answer(settings.scheme === "basic" ? 403 : 401, {}, { "www-authenticate": challenge });
        }
        return answer(200);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = () => (server.address() as AddressInfo).port;
    return {
        server: `http://127.0.0.1:${port()}`,
        requests,
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}

/** A loopback port with nothing listening on it (bound, then closed). */
export async function closedPort(): Promise<number> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    return port;
}
