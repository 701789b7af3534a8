/**
 * Runs the example program (examples/basic/index.ts, copied beside this file)
 * on Pulumi's mock runtime, inside the temporary consumer project that
 * test/consumer.test.ts builds, and prints what the engine received as one
 * JSON line. mockRuntime.ts is the repository's stacks/mockRuntime.ts, copied
 * here so that it records through the consumer's own @pulumi/pulumi.
 */
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime } from "./mockRuntime";

const runtime = startMockRuntime("consumer", "test");
pulumi.runtime.setConfig("consumer:registryUsername", "acme-bot");
pulumi.runtime.setConfig("consumer:registryPassword", "consumer-test-password");

async function main(): Promise<void> {
    await import("./index");
    // Returns once every call to the engine has been answered.
    await pulumi.runtime.disconnect();
    process.stdout.write(`${JSON.stringify({ registrations: runtime.registrations })}\n`);
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
