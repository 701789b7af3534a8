// Lint: typescript-eslint's recommended rules with type information, and
// only the rules this project adds on top. Formatting is Prettier's job
// (.prettierrc.json), so eslint-config-prettier turns off any rule about it.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "dist/", ".bench/", ".pulumi/", "examples/", "test/consumer/", "**/*.mjs"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        rules: {
            // A promise nobody awaits loses its error, and with it the message that says which namespace failed.
            "@typescript-eslint/no-floating-promises": "error",
            // No unused code; a name that starts with _ says "unused on purpose".
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
            ],
            // `any` only where a line says why (an eslint-disable comment with the reason).
            "@typescript-eslint/no-explicit-any": "error",
            // require() loads the SDK's undeclared modules and package.json files by path, on purpose.
            "@typescript-eslint/no-require-imports": "off",
        },
    },
    {
        // The one JavaScript file, stacks/transpileCache.js: it is what lets Node load the TypeScript.
        files: ["**/*.js"],
        ...tseslint.configs.disableTypeChecked,
        languageOptions: {
            ...tseslint.configs.disableTypeChecked.languageOptions,
            sourceType: "commonjs",
            globals: {
                require: "readonly",
                module: "writable",
                process: "readonly",
                __dirname: "readonly",
                Buffer: "readonly",
            },
        },
    },
    {
        // The tests read untyped JSON back from the API server, kubectl and the mock engine, and assert on it.
        files: ["test/**/*.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
    prettier,
);
