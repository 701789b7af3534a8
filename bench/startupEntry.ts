/**
 * Starts the stacks program on Pulumi's mock engine and prints, as one JSON
 * line, how many milliseconds after the process started its first resource
 * reached the engine. Run by bench/startup.ts, compiled or through ts-node.
 */
import { performance } from "perf_hooks";
import * as pulumi from "@pulumi/pulumi";

void pulumi.runtime.setMocks(
    {
        newResource: () => {
            process.stdout.write(`${JSON.stringify({ firstResourceMs: performance.now() })}\n`);
            process.exit(0);
        },
        call: (args) => args.inputs,
    },
    "registry-credentials",
    "startup",
    false,
);

require("../stacks");
