/**
 * The project's files as the Pulumi CLI reads them: the project name from
 * Pulumi.yaml, and a stack's config from stacks/Pulumi.<stack>.yaml
 * (`stackConfigDir: stacks`). `npm run render` feeds the program from here
 * the way the CLI would, and the deploy scripts check the stack name here.
 *
 * It must not load @pulumi/pulumi: render sets the config environment
 * variables from these files before the SDK first reads them.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

/** The repository root, where Pulumi.yaml is. */
export const PROJECT_DIR = path.resolve(__dirname, "..");
/** Where the stack files live: Pulumi.yaml's `stackConfigDir`. */
export const STACK_CONFIG_DIR = path.join(PROJECT_DIR, "stacks");

/** The error for a stack name that has no stack file, the same from render and from the deploy scripts. */
export class UnknownStackError extends Error {
    constructor(stack: string) {
        const known = knownStacks();
        super(
            `No stack named ${JSON.stringify(stack)}: stacks/Pulumi.${stack}.yaml does not exist. ` +
                `The stacks are: ${known.length > 0 ? known.join(", ") : "(none)"}. ` +
                `To add one, copy stacks/Pulumi.staging.yaml to stacks/Pulumi.${stack}.yaml and edit it (docs/stacks.md, "Add an environment").`,
        );
        this.name = "UnknownStackError";
    }
}

/** The stacks that have a config file, by name. */
export function knownStacks(): string[] {
    return fs
        .readdirSync(STACK_CONFIG_DIR)
        .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
        .filter((stack): stack is string => stack !== undefined)
        .sort();
}

/** The path of a stack's config file; throws {@link UnknownStackError} when there is none. */
export function stackFile(stack: string): string {
    // Pulumi's own rule for stack names; it also keeps "../" out of the path.
    if (!/^[A-Za-z0-9_.-]+$/.test(stack) || !knownStacks().includes(stack)) {
        throw new UnknownStackError(stack);
    }
    return path.join(STACK_CONFIG_DIR, `Pulumi.${stack}.yaml`);
}

/** Pulumi.yaml, as far as these scripts read it. */
function projectFile(): { name: string; backend?: { url?: unknown } } {
    return YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8"));
}

/** The project's name, which is also its config namespace (`<name>:namespaces`). */
export function projectName(): string {
    return projectFile().name;
}

/**
 * Whether the stack's state is already in the project's backend, when that
 * is a folder (`file://`, as Pulumi.yaml has it) this process can look in;
 * undefined for any other backend, where only the CLI can tell. The deploy
 * scripts skip the CLI process that creates the stack when it exists.
 */
export function stackInFolderBackend(stack: string): boolean | undefined {
    const { name, backend } = projectFile();
    const url = backend?.url;
    if (typeof url !== "string" || !url.startsWith("file://")) {
        return undefined;
    }
    const folder = url.slice("file://".length);
    const state = path.join(
        folder === "~" || folder.startsWith("~/")
            ? path.join(os.homedir(), folder.slice(1))
            : path.resolve(PROJECT_DIR, folder),
        ".pulumi",
    );
    // The CLI's layout (pkg/backend/diy): stacks by project since meta.yaml's version 1, by name alone before.
    let version = 0;
    try {
        version = Number(YAML.parse(fs.readFileSync(path.join(state, "meta.yaml"), "utf8"))?.version ?? 0);
    } catch {
        // no meta.yaml: the layout before version 1, or no state at all
    }
    const stacks = version >= 1 ? path.join(state, "stacks", name) : path.join(state, "stacks");
    return [".json", ".json.gz"].some((extension) => fs.existsSync(path.join(stacks, `${stack}${extension}`)));
}

/**
 * The text that stands in for a value render cannot know offline. Square
 * brackets, because `<` and `>` would be escaped inside `.dockerconfigjson`.
 */
export function offlinePlaceholder(what: string): string {
    return `[not available offline: ${what}]`;
}

/** A stack's config in the form the CLI hands a program (see `PULUMI_CONFIG`), with what render had to leave out. */
export interface StackFileConfig {
    /** `"<namespace>:<key>"` to the value: strings as they are, lists and maps as JSON. */
    readonly values: Record<string, string>;
    /** The keys holding a secure value, as `PULUMI_CONFIG_SECRET_KEYS` lists them. */
    readonly secretKeys: string[];
    /** Where each secure value was, e.g. `registries[0].password`: encrypted, so replaced by a placeholder. */
    readonly securePaths: string[];
    /** Those of them still holding this repository's template text rather than real ciphertext. */
    readonly templatePaths: string[];
}

/** How the committed stack files mark a secure value that nobody has set yet. */
const TEMPLATE_CIPHERTEXT = "v1:TEMPLATE-";

/**
 * Reads a stack file as the CLI would pass it to the program, except that
 * each `secure:` value, which only the stack's secrets provider can decrypt,
 * becomes a marked placeholder.
 */
export function readStackFile(project: string, stack: string): StackFileConfig {
    const file = stackFile(stack);
    const settings = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
    const result: StackFileConfig = { values: {}, secretKeys: [], securePaths: [], templatePaths: [] };
    for (const [key, value] of Object.entries<unknown>(settings.config ?? {})) {
        // An un-namespaced key belongs to the project, as with `pulumi config set <key>`.
        const fullKey = key.includes(":") ? key : `${project}:${key}`;
        const shortKey = fullKey.slice(fullKey.indexOf(":") + 1);
        const securePaths: string[] = [];
        const plain = withPlaceholders(value, shortKey, securePaths, result.templatePaths);
        result.values[fullKey] =
            typeof plain === "string"
                ? plain
                : typeof plain === "object" && plain !== null
                  ? JSON.stringify(plain)
                  : String(plain);
        if (securePaths.length > 0) {
            result.secretKeys.push(fullKey);
            result.securePaths.push(...securePaths);
        }
    }
    return result;
}

function withPlaceholders(value: unknown, at: string, securePaths: string[], templatePaths: string[]): unknown {
    if (isSecure(value)) {
        securePaths.push(at);
        if ((value as { secure: string }).secure.startsWith(TEMPLATE_CIPHERTEXT)) {
            templatePaths.push(at);
        }
        return offlinePlaceholder(`secure value ${at}, encrypted in the stack file`);
    }
    if (Array.isArray(value)) {
        return value.map((item, i) => withPlaceholders(item, `${at}[${i}]`, securePaths, templatePaths));
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(
            Object.entries(value).map(([key, item]) => [
                key,
                withPlaceholders(item, `${at}.${key}`, securePaths, templatePaths),
            ]),
        );
    }
    return value;
}

/** `{ secure: "v1:…" }`: how a stack file holds an encrypted value. */
function isSecure(value: unknown): boolean {
    return (
        typeof value === "object" &&
        value !== null &&
        Object.keys(value).length === 1 &&
        typeof (value as { secure?: unknown }).secure === "string"
    );
}
