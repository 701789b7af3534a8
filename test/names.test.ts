import { strict as assert } from "assert";
import { MAX_FIELD_MANAGER_BYTES, admissionPolicyName, defaultFieldManager, isFieldManager } from "../components/names";

describe("defaultFieldManager", () => {
    it("names the project, stack and component", () => {
        assert.equal(defaultFieldManager("platform", "prod", "ghcr"), "regcred/platform/prod/ghcr");
    });

    it("fits a long name into the API server's 128 bytes, keeping it recognisable and distinct", () => {
        const long = "x".repeat(150);
        const a = defaultFieldManager("platform", "prod", `${long}-a`);
        const b = defaultFieldManager("platform", "prod", `${long}-b`);
        assert.equal(Buffer.byteLength(a), MAX_FIELD_MANAGER_BYTES);
        assert.ok(a.startsWith("regcred/platform/prod/xxx"));
        assert.notEqual(a, b);
        assert.equal(defaultFieldManager("platform", "prod", `${long}-a`), a, "stable across runs");
    });

    it("counts bytes, not characters: a non-ASCII name is cut on a character boundary to 128 bytes at most", () => {
        // 80 characters, 240 bytes: under 128 characters, over 128 bytes.
        const name = "数".repeat(80);
        const manager = defaultFieldManager("platform", "prod", name);
        assert.ok(Buffer.byteLength(manager) <= MAX_FIELD_MANAGER_BYTES, `${Buffer.byteLength(manager)} bytes`);
        assert.ok(manager.startsWith("regcred/platform/prod/数数"));
        assert.ok(!manager.includes("\uFFFD"), "no character was split");
        assert.ok(isFieldManager(manager));
        // A short non-ASCII name is kept whole.
        assert.equal(defaultFieldManager("platform", "prod", "régistre"), "regcred/platform/prod/régistre");
    });

    it("replaces characters the API server does not print", () => {
        const manager = defaultFieldManager("platform", "prod", "tab\there");
        assert.ok(isFieldManager(manager), manager);
        assert.ok(manager.startsWith("regcred/platform/prod/tab_here-"));
    });
});

describe("isFieldManager", () => {
    it("takes what the API server takes: 1 to 128 bytes of printable characters", () => {
        assert.ok(isFieldManager("regcred/é"));
        assert.ok(isFieldManager("x".repeat(128)));
        assert.ok(!isFieldManager("x".repeat(129)));
        assert.ok(!isFieldManager("é".repeat(65)), "130 bytes");
        assert.ok(!isFieldManager(""));
        assert.ok(!isFieldManager("a\nb"));
    });
});

describe("admissionPolicyName", () => {
    it("is a DNS-1123 subdomain naming project, stack and component, kept apart by a hash", () => {
        const name = admissionPolicyName("Platform_Team", "prod", "ghcr/Pull");
        assert.match(name, /^regcred\.platform-team\.prod\.ghcr-pull\.[0-9a-f]{8}$/);
        assert.notEqual(admissionPolicyName("p", "s", "a-b"), admissionPolicyName("p", "s", "a_b"));
        assert.ok(admissionPolicyName("p".repeat(300), "s", "c").length <= 253);
    });
});
