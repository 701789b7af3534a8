/**
 * The dev stack's docker config when Docker Desktop (or any credential
 * helper) keeps the logins: each is asked of its helper, a stub on PATH here,
 * with docker's credential-helper protocol.
 */
import "./mocks";
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { encodeDockerConfig } from "../components/dockerConfig";
import { resolveCredentialHelpers } from "../stacks/dockerCredentials";
import { loadStackProgram } from "./mocks";

const SECRET = "helper-secret-Xq9";

/** A folder on PATH with docker-credential-<name> stubs: `get` answers for the servers it knows, `list` lists them. */
function stubHelpers(
    helpers: Record<string, { logins?: Record<string, string>; fail?: string; token?: boolean }>,
): () => void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cred-helpers-"));
    for (const [name, { logins = {}, fail, token }] of Object.entries(helpers)) {
        const answers = Object.entries(logins)
            .map(
                ([server, user]) =>
                    `  ${JSON.stringify(server)}) echo '{"ServerURL":"'"$server"'","Username":"${token ? "<token>" : user}","Secret":"${SECRET}-${user}"}' ;;`,
            )
            .join("\n");
        const script = fail
            ? `#!/bin/sh\necho "${fail}" >&2\nexit 1\n`
            : `#!/bin/sh\nread -r server\ncase "$1" in\n list) echo '${JSON.stringify(logins)}' ;;\n get) case "$server" in\n${answers}\n  *) echo "credentials not found in native keychain" >&2; exit 1 ;;\n esac ;;\nesac\n`;
        fs.writeFileSync(path.join(dir, `docker-credential-${name}`), script, { mode: 0o755 });
    }
    const before = process.env.PATH;
    process.env.PATH = `${dir}:${before}`;
    return () => {
        process.env.PATH = before;
        fs.rmSync(dir, { recursive: true, force: true });
    };
}

function resolved(config: object): { text: string } | { problem: string } | undefined {
    return resolveCredentialHelpers(JSON.stringify(config));
}

describe("docker credential helpers", () => {
    it("leaves a config with inline credentials as it is", () => {
        assert.equal(resolved({ auths: { "ghcr.io": { auth: Buffer.from("u:p").toString("base64") } } }), undefined);
    });

    it("asks Docker Desktop's credsStore for each login it lists in auths, and writes kubectl's bytes", () => {
        const restore = stubHelpers({
            desktop: { logins: { "ghcr.io": "octo", "https://index.docker.io/v1/": "hubber" } },
        });
        try {
            const result = resolved({
                auths: { "ghcr.io": {}, "https://index.docker.io/v1/": {} },
                credsStore: "desktop",
            });
            assert.deepEqual(result, {
                text: encodeDockerConfig([
                    { server: "ghcr.io", username: "octo", password: `${SECRET}-octo` },
                    { server: "https://index.docker.io/v1/", username: "hubber", password: `${SECRET}-hubber` },
                ]),
            });
        } finally {
            restore();
        }
    });

    it("uses credHelpers per registry beside inline entries, and the store's list when auths is empty", () => {
        const restore = stubHelpers({
            gcloud: { logins: { "gcr.io": "oauth2accesstoken" } },
            desktop: { logins: { "ghcr.io": "octo" } },
        });
        try {
            const mixed = resolved({
                auths: { "r.example.com": { username: "inline", password: "pw" } },
                credHelpers: { "gcr.io": "gcloud" },
            });
            assert.ok(mixed && "text" in mixed);
            assert.deepEqual(Object.keys(JSON.parse(mixed.text).auths), ["gcr.io", "r.example.com"]);
            assert.equal(JSON.parse(mixed.text).auths["gcr.io"].password, `${SECRET}-oauth2accesstoken`);

            const listed = resolved({ auths: {}, credsStore: "desktop" });
            assert.ok(listed && "text" in listed);
            assert.equal(JSON.parse(listed.text).auths["ghcr.io"].username, "octo");
        } finally {
            restore();
        }
    });

    it("says what is wrong, without any credential: a missing helper, a failing one, an identity token", () => {
        const restore = stubHelpers({
            broken: { fail: "error getting credentials - err: exit status 1" },
            acr: { logins: { "acme.azurecr.io": "x" }, token: true },
        });
        try {
            const missing = resolved({ auths: { "ghcr.io": {} }, credsStore: "nowhere" });
            assert.ok(missing && "problem" in missing);
            assert.match(missing.problem, /docker-credential-nowhere is not on PATH/);

            const failing = resolved({ auths: { "ghcr.io": {} }, credsStore: "broken" });
            assert.ok(failing && "problem" in failing);
            assert.match(
                failing.problem,
                /docker-credential-broken get for "ghcr.io" failed \(exit 1\): error getting credentials/,
            );

            const token = resolved({ auths: { "acme.azurecr.io": {} }, credsStore: "acr" });
            assert.ok(token && "problem" in token);
            assert.match(token.problem, /identity token for "acme.azurecr.io", which the kubelet cannot use/);
            for (const result of [missing, failing, token]) {
                assert.ok(!JSON.stringify(result).includes(SECRET));
            }
        } finally {
            restore();
        }
    });

    it("gives the dev stack inline credentials from Docker Desktop's store, where `docker login` would only write credsStore again", async () => {
        const { readDockerConfig } = await loadStackProgram();
        const restore = stubHelpers({ desktop: { logins: { "ghcr.io": "octo" } } });
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "docker-")), "config.json");
        fs.writeFileSync(file, JSON.stringify({ auths: { "ghcr.io": {} }, credsStore: "desktop" }));
        try {
            const config = readDockerConfig(file, "dev", {});
            assert.ok("text" in config);
            assert.equal(JSON.parse(config.text).auths["ghcr.io"].password, `${SECRET}-octo`);

            const warnings: string[] = [];
            const offline = readDockerConfig(file, "dev", { offline: true, warn: (line) => warnings.push(line) });
            assert.ok("text" in offline && !offline.text.includes(SECRET), "render never asks the helper");
            assert.match(warnings.join("\n"), /docker-credential-desktop, which render does not ask/);
        } finally {
            restore();
        }
    });
});
