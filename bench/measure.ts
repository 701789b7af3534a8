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
void pulumi.runtime.setMocks(
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
    // Declared instead from an async function three frames deep, as an
    // earlier version of this benchmark did, the component's one frame of
    // its own was a third more stack per child, and cost it 1.033× the loop's
    // time at 2,000 × 3 (standard error 0.026, over 20 rounds); required as
    // here, the loop's resources carry 13 frames and the component's children
    // 14. The shape of equivalent code moves the time by itself: at 1,000 × 3,
    // over 10 rounds, the loop called through one more function took 0.93×
    // the time of the loop called directly (standard error 0.02), the loop
    // under a plain ComponentResource 0.96×, and the component 0.98×.
    await pulumi.runtime.runInPulumiStack(async () => require("./program"));
    await pulumi.runtime.disconnect();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;

    process.stdout.write(
        `${JSON.stringify({ ms, resources, rssBeforeKb, maxRssKb: process.resourceUsage().maxRSS })}\n`,
    );
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
