/**
 * Checks registry logins (`registries`), whose values may be Outputs that
 * are known only later: such a value is checked once it is known, with the
 * same messages. No message contains a password or a user name.
 */
import * as pulumi from "@pulumi/pulumi";
import { RegistryLogin } from "./args";
import { describe, isPlainObject, kindOf, show } from "./describeValue";
import { DOCKER_HUB_SERVER } from "./dockerConfig";
import { Problem, checkKnownKeys } from "./problems";
import { kubeletKey } from "./registryKey";

/** Stands for a value given as an Output or a Promise, which is checked once it is known. */
export const DEFERRED: unique symbol = Symbol("deferred");
type Checkable = string | undefined | typeof DEFERRED | unknown;

/** A login whose values are known, or {@link DEFERRED}. */
export interface LoginValues {
    readonly server?: Checkable;
    readonly username?: Checkable;
    readonly password?: Checkable;
    readonly email?: Checkable;
}

const LOGIN_KEYS = ["server", "username", "password", "email"];

/** Docker Hub's download host: a key for it never matches an image, whose default host is index.docker.io. */
const DOCKER_HUB_DOWNLOAD_HOST = "registry-1.docker.io";

/** Every problem with the logins; a {@link DEFERRED} value is skipped here. */
export function loginProblems(logins: readonly LoginValues[]): Problem[] {
    const problems: Problem[] = [];
    // Servers by the key the kubelet files them under, so that two spellings of one registry are caught.
    const seen = new Map<string, number>();
    logins.forEach((login, i) => {
        const path = `registries[${i}]`;
        const report = (field: string, reason: string) => problems.push({ propertyPath: `${path}.${field}`, reason });
        if (!isPlainObject(login)) {
            problems.push({
                propertyPath: path,
                reason: `must be an object { server?, username, password, email? }, not ${kindOf(login)}`,
            });
            return;
        }
        checkKnownKeys(login, path, LOGIN_KEYS, (propertyPath, reason) => problems.push({ propertyPath, reason }));
        const { server, username, password, email } = login;

        if (server !== DEFERRED) {
            if (server !== undefined && typeof server !== "string") {
                report("server", `must be a string, not ${describe(server)}`);
            } else if (server !== undefined && server.trim() === "") {
                report("server", `is empty; leave server out for Docker Hub (${DOCKER_HUB_SERVER})`);
            } else {
                const result = kubeletKey(server ?? DOCKER_HUB_SERVER);
                if ("problem" in result) {
                    report("server", `${show(server)} ${result.problem}`);
                } else if (
                    result.key === DOCKER_HUB_DOWNLOAD_HOST ||
                    result.key.startsWith(`${DOCKER_HUB_DOWNLOAD_HOST}/`)
                ) {
                    report(
                        "server",
                        `${show(server)} is the host Docker Hub serves images from, but the kubelet never matches it to a Docker Hub image; leave server out for Docker Hub (${DOCKER_HUB_SERVER})`,
                    );
                } else {
                    const first = seen.get(result.key);
                    if (first !== undefined) {
                        const which = server === undefined ? "Docker Hub (server left out)" : show(server);
                        report(
                            "server",
                            `${which} is the same registry to the kubelet as registries[${first}] (both are filed under ${show(result.key)}); one secret holds one login per registry`,
                        );
                    }
                    seen.set(result.key, first ?? i);
                }
            }
        }
        // Never shown: a pasted "user:token" would show the token, and a username passed as a secret is a secret.
        if (username !== DEFERRED) {
            if (username === undefined) {
                report("username", "is required");
            } else if (typeof username !== "string") {
                report("username", `must be a string, not ${kindOf(username)}`);
            } else if (username.trim() === "") {
                report("username", "must not be empty");
            } else if (username.includes(":")) {
                report(
                    "username",
                    "contains ':', but the kubelet splits the auth token at its first ':', so the registry would see a different user name (if you pasted user:token, put the token in password)",
                );
            }
        }
        if (password !== DEFERRED) {
            if (password === undefined) {
                report("password", "is required");
            } else if (typeof password !== "string") {
                report("password", `must be a string, not ${kindOf(password)}`);
            } else if (password.length === 0) {
                report("password", "must not be empty");
            }
        }
        if (email !== DEFERRED && email !== undefined && typeof email !== "string") {
            report("email", `must be a string, not ${kindOf(email)}`);
        }
    });
    return problems;
}

/** What a login's values are now: plain values as they are, Outputs and Promises deferred. */
export function knownValues(login: RegistryLogin): LoginValues {
    if (!isPlainObject(login)) {
        return login; // loginProblems reports it
    }
    return Object.fromEntries(Object.entries(login).map(([key, value]) => [key, known(value)]));
}

/** A value as it is now, or {@link DEFERRED} when it is an Output or a Promise. */
export function known(value: unknown): Checkable {
    return pulumi.Output.isInstance(value) || value instanceof Promise ? DEFERRED : value;
}
