import { strict as assert } from "assert";
import { DOCKER_HUB_SERVER, encodeDockerConfig, goJsonString } from "../components/dockerConfig";

const auth = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString("base64");

describe("encodeDockerConfig", () => {
    it("writes kubectl's compact layout: username, password, auth", () => {
        assert.equal(
            encodeDockerConfig([{ server: "ghcr.io", username: "robot", password: "pw" }]),
            `{"auths":{"ghcr.io":{"username":"robot","password":"pw","auth":"${auth("robot", "pw")}"}}}`,
        );
    });

    it("puts email between password and auth, and leaves an empty one out", () => {
        const withEmail = encodeDockerConfig([
            { server: "r.io", username: "u", password: "p", email: "u@example.com" },
        ]);
        assert.equal(
            withEmail,
            `{"auths":{"r.io":{"username":"u","password":"p","email":"u@example.com","auth":"${auth("u", "p")}"}}}`,
        );
        const empty = encodeDockerConfig([{ server: "r.io", username: "u", password: "p", email: "" }]);
        assert.ok(!empty.includes("email"));
    });

    it("encodes auth from the UTF-8 bytes of user:password", () => {
        const config = JSON.parse(encodeDockerConfig([{ server: "r.io", username: "jörg", password: "🔑" }]));
        assert.equal(Buffer.from(config.auths["r.io"].auth, "base64").toString("utf8"), "jörg:🔑");
    });

    it("orders several servers by their bytes, as Go sorts map keys", () => {
        const logins = ["b.io", "B.io", "a.io", "ä.io", DOCKER_HUB_SERVER].map((server) => ({
            server,
            username: "u",
            password: "p",
        }));
        const keys = (list: typeof logins) => Object.keys(JSON.parse(encodeDockerConfig(list)).auths);
        assert.deepEqual(keys(logins), ["B.io", "a.io", "b.io", DOCKER_HUB_SERVER, "ä.io"]);
        assert.equal(encodeDockerConfig([...logins].reverse()), encodeDockerConfig(logins));
    });
});

describe("goJsonString", () => {
    const cases: [string, string, string][] = [
        ["HTML characters", "<a & b>", '"\\u003ca \\u0026 b\\u003e"'],
        ["quotes and backslashes", 'say "hi" \\o/', '"say \\"hi\\" \\\\o/"'],
        ["newline, return and tab", "a\nb\rc\td", '"a\\nb\\rc\\td"'],
        ["backspace and form feed, short since Go 1.22", "a\bb\fc", '"a\\bb\\fc"'],
        ["other control characters", "\u0001\u001f", '"\\u0001\\u001f"'],
        ["line and paragraph separators", "a\u2028b\u2029c", '"a\\u2028b\\u2029c"'],
        ["non-ASCII text and emoji, unescaped", "pässwörd 🔑 密码", '"pässwörd 🔑 密码"'],
        ["DEL and slash, unescaped", "\u007f/", '"\u007f/"'],
    ];
    for (const [what, input, expected] of cases) {
        it(`escapes ${what} as Go does`, () => {
            assert.equal(goJsonString(input), expected);
            assert.equal(JSON.parse(goJsonString(input)), input);
        });
    }
});
