/**
 * The passphrase provider's `encryptionsalt`, kept out of a stack file that
 * is committed without one. `dev` is such a file: each developer has their
 * own passphrase, so no salt can be shared, and the CLI would write the
 * salt it makes into the committed file.
 *
 * So the CLI gets a copy of the stack file that holds this machine's salt:
 * `.pulumi/config/Pulumi.<stack>.yaml`, beside the state it belongs to
 * (git-ignored), passed to preview, up and destroy with `--config-file` and
 * rebuilt from the committed file before every run. The one command without
 * `--config-file`, the `stack select --create` that makes the stack, writes
 * its salt into the committed file; it is moved to the copy at once.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR, stackFile } from "./stackFiles";

const SALT_LINE = /^encryptionsalt:.*$/m;

/** Where this machine keeps the stack file's copy with its salt. */
export function localConfigFile(stack: string): string {
    return path.join(PROJECT_DIR, ".pulumi", "config", `Pulumi.${stack}.yaml`);
}

/**
 * Runs `create` (the command that may make the stack) and says which file
 * the CLI should read the stack's config from: none when the committed file
 * holds its own salt, else the copy with this machine's salt. `create` is
 * told whether a salt is known already, in either file.
 */
export function withLocalSalt<T>(
    stack: string,
    create: (saltKnown: boolean) => T,
): { created: T; configFile?: string } {
    const committed = stackFile(stack);
    const before = fs.readFileSync(committed, "utf8");
    if (SALT_LINE.test(before)) {
        return { created: create(true) };
    }
    const copy = localConfigFile(stack);
    const known = fs.existsSync(copy) ? SALT_LINE.exec(fs.readFileSync(copy, "utf8"))?.[0] : undefined;
    const created = create(known !== undefined);
    const after = fs.readFileSync(committed, "utf8");
    const made = SALT_LINE.exec(after)?.[0];
    if (after !== before) {
        fs.writeFileSync(committed, before);
    }
    const salt = made ?? known;
    fs.mkdirSync(path.dirname(copy), { recursive: true });
    fs.writeFileSync(copy, salt === undefined ? before : `${before.replace(/\n*$/, "\n")}${salt}\n`);
    return { created, configFile: copy };
}
