/**
 * One measurement in a fresh process, so that peak memory belongs to this
 * run alone: declares a workload on Pulumi's mock engine and prints
 * {"ms", "rssBeforeKb", "maxRssKb"} as one JSON line.
 *
 * Usage: node measure.js component|baseline <namespaces> <serviceAccounts>
 */
import * as pulumi from "@pulumi/pulumi";

pulumi.runtime.setMocks(
    {
        newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
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
    const workload = { namespaces: Number(namespaces), serviceAccounts: Number(serviceAccounts) };
    // Both variants load both modules, so that neither pays for code the other skips.
    const { declareBaseline, declareWithComponent, settled } = await import("./workloads");
    const { RegistryCredentials } = await import("../components");

    const rssBeforeKb = Math.round(process.memoryUsage().rss / 1024);
    const start = process.hrtime.bigint();
    const resources = variant === "component" ? declareWithComponent(RegistryCredentials, workload) : declareBaseline(workload);
    await settled(resources);
    // Done means what it means for a real program: every call to the engine answered.
    await pulumi.runtime.disconnect();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;

    process.stdout.write(`${JSON.stringify({ ms, rssBeforeKb, maxRssKb: process.resourceUsage().maxRSS })}\n`);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
