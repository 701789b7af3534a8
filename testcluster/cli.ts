/**
 * `npm run cluster -- <command> [name]`: a throwaway local Kubernetes control
 * plane for trying the stacks and for the e2e suite.
 *
 *   up [--node] [name]   start one (default name "local"), building the pinned tools first if needed;
 *                 --node adds a node (kubelet, containerd, runc) and two local registries
 *   push [name] <repository:tag>   push a runnable image to the node's private registry; prints its reference
 *   env [name]    print `export` lines: KUBECONFIG, and PATH with the pinned tools first
 *   down [name]   stop it and remove its files
 *   list          the clusters that have files in the cache
 *   build         only build the pinned tools
 */
import * as fs from "fs";
import { down, listClusters, readState, up } from "./controlPlane";
import { checkNodeSupport, pushRunnableImage, registryLogin } from "./node";
import { ensureTools, toolPath } from "./toolchain";

const USAGE =
    "usage: npm run cluster -- up [--node] [name] | push [name] <repository:tag> | env|down [name] | list | build";

/** The shell lines `env` prints; the offline settings keep the pulumi CLI from reaching for the internet. */
export function envLines(kubeconfig: string): string[] {
    const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
    return [
        `export KUBECONFIG=${quote(kubeconfig)}`,
        `export PATH=${quote(toolPath().join(":"))}:"$PATH"`,
        "export PULUMI_SKIP_UPDATE_CHECK=true",
        "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
    ];
}

async function main(argv: readonly string[]): Promise<number> {
    const [command, ...words] = argv;
    const node = command === "up" && words.includes("--node");
    const [name = "local", ...rest] = words.filter((word) => !(node && word === "--node"));
    const log = (line: string) => process.stderr.write(`${line}\n`);
    if (command === "push") {
        return push(words.length > 1 ? words[0] : "local", words[words.length - 1], log);
    }
    if (rest.length > 0) {
        log(USAGE);
        return 2;
    }
    switch (command) {
        case "build":
            ensureTools(log);
            return 0;
        case "up": {
            if (node) {
                checkNodeSupport();
            }
            ensureTools(log);
            const cluster = await up(name, log, { node });
            if (cluster.node !== undefined) {
                const { node: started } = cluster;
                log(
                    `node ${started.name} is Ready; registries: ${started.publicRegistry.address} (anonymous), ${started.privateRegistry.address} (login in ${started.privateRegistry.loginFile})`,
                );
            }
            log(`use it with: eval "$(npm run -s cluster -- env${name === "local" ? "" : ` ${name}`})"`);
            return 0;
        }
        case "env": {
            const state = readState(name);
            if (state === undefined || !fs.existsSync(state.kubeconfig)) {
                log(
                    `no cluster named ${name} is running; start it with: npm run cluster -- up${name === "local" ? "" : ` ${name}`}`,
                );
                return 1;
            }
            process.stdout.write(envLines(state.kubeconfig).join("\n") + "\n");
            return 0;
        }
        case "down":
            log(down(name) ? `cluster ${name} stopped and removed` : `no cluster named ${name}`);
            return 0;
        case "list":
            process.stdout.write(
                listClusters()
                    .map((cluster) => `${cluster}\n`)
                    .join(""),
            );
            return 0;
        default:
            log(USAGE);
            return 2;
    }
}

/** Pushes the sleeper image, with the registry's login, to `<private registry>/<repository:tag>`. */
function push(name: string, repository: string | undefined, log: (line: string) => void): number {
    const node = readState(name)?.node;
    if (node === undefined || repository === undefined) {
        log(node === undefined ? `no cluster named ${name} with a node is running` : USAGE);
        return node === undefined ? 1 : 2;
    }
    const image = `${node.privateRegistry.address}/${repository}`;
    pushRunnableImage(node.privateRegistry, image, registryLogin(node));
    process.stdout.write(`${image}\n`);
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => (process.exitCode = code),
        (error: Error) => {
            process.stderr.write(`error: ${error.message}\n`);
            process.exitCode = 1;
        },
    );
}
