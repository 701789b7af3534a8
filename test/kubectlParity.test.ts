/**
 * Byte parity with the real kubectl client: for each set of credentials,
 * `kubectl create secret docker-registry --dry-run=client` must produce the
 * same `.dockerconfigjson` bytes as we do, so a Secret made by kubectl can be
 * adopted with no data change.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { encodeDockerConfig } from "../components/dockerConfig";

interface Case {
    readonly what: string;
    readonly server?: string;
    readonly username: string;
    readonly password: string;
    readonly email?: string;
    /** Go 1.22 began writing \b and \f short; kubectl built with older Go writes \u0008 and \u000c. */
    readonly needsGo122?: boolean;
}

const cases: Case[] = [
    { what: "plain ASCII", server: "ghcr.io", username: "robot", password: "hunter2" },
    { what: "Docker Hub by default", username: "hubuser", password: "hubpass" },
    {
        what: "an e-mail address",
        server: "registry.example.com:5000",
        username: "u",
        password: "p",
        email: "ops@example.com",
    },
    {
        what: "HTML characters",
        server: "r.example.com",
        username: "<admin>",
        password: "a&b<c>d",
        email: "x<y>&z@example.com",
    },
    {
        what: "quotes and backslashes",
        server: "r.example.com",
        username: 'dq"user',
        password: `'single' "double" \\back\\slash\\`,
    },
    {
        what: "tabs, newlines and other controls",
        server: "r.example.com",
        username: "tab\tuser",
        password: "line\nbreak\rreturn\u0001\u001f",
    },
    { what: "non-ASCII text", server: "r.example.com", username: "jörg", password: "pässwörd-密码-пароль" },
    { what: "emoji", server: "r.example.com", username: "emoji", password: "🔑🐳👩‍💻" },
    { what: "line and paragraph separators", server: "r.example.com", username: "u\u2028v", password: "p\u2029q" },
    { what: "a tricky server key", server: "https://r.example.com/v2/<&>", username: "u", password: "p" },
    { what: "backspace and form feed", server: "r.example.com", username: "b\bs", password: "f\ff", needsGo122: true },
];

const kubectl = findKubectl();

describe("kubectl parity", function () {
    before(function () {
        if (kubectl === undefined) {
            if (process.env.CI) {
                throw new Error(
                    "kubectl is not on PATH; .ci/run installs Debian's kubernetes-client when none is there",
                );
            }
            console.log("    (pending: no kubectl on PATH; install it, e.g. apt-get install kubernetes-client)");
            this.skip();
        }
    });

    for (const c of cases) {
        it(`writes the same bytes as kubectl for ${c.what}`, function () {
            if (c.needsGo122 && !kubectl!.goAtLeast122) {
                console.log(
                    `    (pending: this kubectl is built with ${kubectl!.goVersion}, older than Go 1.22; we match current kubectl)`,
                );
                this.skip();
            }
            const ours = Buffer.from(
                encodeDockerConfig([
                    {
                        server: c.server ?? "https://index.docker.io/v1/",
                        username: c.username,
                        password: c.password,
                        email: c.email,
                    },
                ]),
            ).toString("base64");
            assert.equal(ours, kubectlDockerConfig(c), Buffer.from(kubectlDockerConfig(c), "base64").toString("utf8"));
        });
    }
});

function kubectlDockerConfig(c: Case): string {
    const args = ["create", "secret", "docker-registry", "regcred", "--dry-run=client", "-o", "json"];
    if (c.server !== undefined) args.push(`--docker-server=${c.server}`);
    args.push(`--docker-username=${c.username}`, `--docker-password=${c.password}`);
    if (c.email !== undefined) args.push(`--docker-email=${c.email}`);
    // A client-side dry run needs no cluster; no kubeconfig keeps kubectl from reading one (the unit tests' is made up).
    const secret = JSON.parse(
        execFileSync("kubectl", args, { encoding: "utf8", env: { ...process.env, KUBECONFIG: "/nonexistent" } }),
    );
    return secret.data[".dockerconfigjson"];
}

function findKubectl(): { goVersion: string; goAtLeast122: boolean } | undefined {
    try {
        const version = JSON.parse(
            execFileSync("kubectl", ["version", "--client", "-o", "json"], { encoding: "utf8" }),
        );
        const goVersion: string = version.clientVersion.goVersion;
        const [major, minor] = (goVersion.match(/^go(\d+)\.(\d+)/) ?? []).slice(1).map(Number);
        return { goVersion, goAtLeast122: major > 1 || (major === 1 && minor >= 22) };
    } catch {
        return undefined;
    }
}
