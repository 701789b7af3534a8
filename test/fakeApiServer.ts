/**
 * A fake API server for the service-account writer and the cluster check:
 * service accounts in memory, JSON Patches applied as the real one applies
 * them (test ops checked atomically, 422 when one fails), and a paged list
 * of namespaces. The real API server's behaviour is in the e2e suite; this
 * is where races, limits and refusals are made to happen on purpose.
 */
import * as http from "http";
import { AddressInfo } from "net";

interface Account {
    metadata: { name: string; namespace: string; resourceVersion: string; managedFields?: any[] };
    imagePullSecrets?: { name: string }[];
}

/** A fake API server holding service accounts; `beforePatch` runs just before each PATCH is applied. */
export class FakeApiServer {
    readonly accounts = new Map<string, Account>();
    readonly requests: { method: string; path: string; body?: any }[] = [];
    /** The cluster's namespaces, as `GET /api/v1/namespaces` lists them; `namespaceListStatus` other than 200 refuses the list. */
    namespaces: { metadata: { name: string; deletionTimestamp?: string; labels?: Record<string, string> } }[] = [];
    namespaceListStatus = 200;
    beforePatch: (account: Account | undefined) => void = () => undefined;
    private version = 1;
    private server = http.createServer((request, response) => this.handle(request, response));

    async start(): Promise<string> {
        await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }
    stop(): void {
        this.server.close();
    }

    put(namespace: string, name: string, entries?: string[], managedFields?: any[]): void {
        this.accounts.set(`${namespace}/${name}`, {
            metadata: { name, namespace, resourceVersion: String(this.version++), managedFields },
            ...(entries ? { imagePullSecrets: entries.map((entry) => ({ name: entry })) } : {}),
        });
    }
    entries(namespace: string, name: string): string[] | undefined {
        return this.accounts.get(`${namespace}/${name}`)?.imagePullSecrets?.map((entry) => entry.name);
    }

    /** Pages of `limit`, continued by the index of the next one, as the API server pages a LIST. */
    private listNamespaces(url: URL, response: http.ServerResponse): void {
        this.requests.push({ method: "GET", path: `${url.pathname}${url.search}` });
        response.writeHead(this.namespaceListStatus, { "Content-Type": "application/json" });
        if (this.namespaceListStatus !== 200) {
            response.end(
                JSON.stringify({
                    message: `namespaces is forbidden: User "deployer" cannot list resource "namespaces"`,
                }),
            );
            return;
        }
        const limit = Number(url.searchParams.get("limit") ?? this.namespaces.length);
        const start = Number(url.searchParams.get("continue") ?? 0);
        const next = start + limit < this.namespaces.length ? String(start + limit) : undefined;
        response.end(
            JSON.stringify({
                items: this.namespaces.slice(start, start + limit),
                metadata: next === undefined ? {} : { continue: next },
            }),
        );
    }

    private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
        let text = "";
        request.on("data", (chunk) => (text += chunk));
        request.on("end", () => {
            const url = new URL(request.url!, "http://x");
            if (request.method === "GET" && url.pathname === "/api/v1/namespaces") {
                return this.listNamespaces(url, response);
            }
            const [, namespace, name] =
                /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)$/.exec(url.pathname) ?? [];
            const body = text === "" ? undefined : JSON.parse(text);
            this.requests.push({ method: request.method!, path: url.pathname, body });
            const key = `${namespace}/${name}`;
            const send = (status: number, value: unknown) => {
                response.writeHead(status, { "Content-Type": "application/json" });
                response.end(JSON.stringify(value));
            };
            if (request.method === "GET") {
                const account = this.accounts.get(key);
                return account ? send(200, account) : send(404, { message: `serviceaccounts "${name}" not found` });
            }
            if (request.method === "PATCH") {
                this.beforePatch(this.accounts.get(key));
                const account = this.accounts.get(key);
                if (!account) return send(404, { message: "not found" });
                const patched = JSON.parse(JSON.stringify(account));
                for (const op of body) {
                    const parts = op.path.split("/").slice(1);
                    const parentPath = parts.slice(0, -1);
                    const last = parts[parts.length - 1];
                    const parent = parentPath.reduce((node: any, part: string) => node?.[part], patched);
                    if (op.op === "test") {
                        if (JSON.stringify(parent?.[last]) !== JSON.stringify(op.value))
                            return send(422, { message: "the test operation failed" });
                    } else if (op.op === "add" && Array.isArray(parent) && last === "-") parent.push(op.value);
                    else if (op.op === "add" || op.op === "replace") parent[last] = op.value;
                    else if (op.op === "remove" && Array.isArray(parent)) parent.splice(Number(last), 1);
                    else if (op.op === "remove") delete parent[last];
                }
                patched.metadata.resourceVersion = String(this.version++);
                this.accounts.set(key, patched);
                return send(200, patched);
            }
            send(405, { message: "only GET and PATCH" });
        });
    }
}
