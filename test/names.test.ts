import { strict as assert } from "assert";
import { MAX_FIELD_MANAGER_LENGTH, defaultFieldManager } from "../components/names";

describe("defaultFieldManager", () => {
    it("names the project, stack and component", () => {
        assert.equal(defaultFieldManager("platform", "prod", "ghcr"), "regcred/platform/prod/ghcr");
    });

    it("fits a long name into the API server's 128 characters, keeping it recognisable and distinct", () => {
        const long = "x".repeat(150);
        const a = defaultFieldManager("platform", "prod", `${long}-a`);
        const b = defaultFieldManager("platform", "prod", `${long}-b`);
        assert.equal(a.length, MAX_FIELD_MANAGER_LENGTH);
        assert.ok(a.startsWith("regcred/platform/prod/xxx"));
        assert.notEqual(a, b);
        assert.equal(defaultFieldManager("platform", "prod", `${long}-a`), a, "stable across runs");
    });
});
