/**
 * One measurement in a fresh process, so that peak memory belongs to this
 * run alone: runs bench/program.ts on Pulumi's mock engine as Pulumi's Node
 * runtime runs a program, and prints {"ms", "resources", "rssBeforeKb",
 * "maxRssKb"} as one JSON line.
 *
 * Usage: node measure.js component|baseline <namespaces> <serviceAccounts>
 */
import * as pulumi from "@pulumi/pulumi";

let resources = 0;
pulumi.runtime.setMocks(
    {
        newResource: (args) => {
            resources++;
            return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
    },
    "bench",
    "bench",
    false,
);

// As the README tells users to configure the provider; the warning is not what is measured.
pulumi.runtime.setConfig("kubernetes:enableSecretMutable", "true");

async function main() {
    const [variant, namespaces, serviceAccounts] = process.argv.slice(2);
    pulumi.runtime.setConfig("bench:variant", variant);
    pulumi.runtime.setConfig("bench:namespaces", namespaces);
    pulumi.runtime.setConfig("bench:serviceAccounts", serviceAccounts);
    // Loaded before the clock starts, by both variants alike, so that neither
    // pays for loading code the other skips.
    await import("./workloads");
    await import("../components");

    const rssBeforeKb = Math.round(process.memoryUsage().rss / 1024);
    const start = process.hrtime.bigint();
    // As Pulumi's Node runtime runs a CommonJS program: required inside the
    // root Stack resource, and done when every call to the engine is answered.
    // The program's resources are declared from the module loader's stack,
    // which matters: the SDK records the whole stack for every resource.
    await pulumi.runtime.runInPulumiStack(async () => require("./program"));
    await pulumi.runtime.disconnect();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;

    process.stdout.write(`${JSON.stringify({ ms, resources, rssBeforeKb, maxRssKb: process.resourceUsage().maxRSS })}\n`);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
