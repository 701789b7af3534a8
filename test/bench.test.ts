/**
 * A 10-namespace smoke run of the benchmark's workloads, so that the
 * benchmark cannot rot, and a check that the baseline declares the same
 * Secrets and service-account entries as the component: otherwise the comparison is void.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { expectedResources } from "../bench/report";
import { Registration, loadComponents, registered, unwrapSecret } from "./mocks";

const comparable = (registrations: Registration[]) =>
    registrations
        .filter((r) => r.custom)
        .map((r) => ({
            type: r.type,
            name: r.name,
            inputs: JSON.stringify(r.inputs, (key, value) =>
                key === "fieldManager" ? "<field manager>" : unwrapSecret(value),
            ),
            dependencies: r.dependencies.length,
        }))
        .sort((a, b) => a.name.localeCompare(b.name));

describe("benchmark workloads", () => {
    for (const serviceAccounts of [1, 3]) {
        it(`the baseline loop declares what the component does (10 namespaces × ${serviceAccounts})`, async () => {
            const { RegistryCredentials } = await loadComponents();
            const { declareBaseline, declareWithComponent } = await import("../bench/workloads");
            const workload = { namespaces: 10, serviceAccounts };

            const component = comparable(await registered(() => declareWithComponent(RegistryCredentials, workload)));
            const baseline = comparable(await registered(() => declareBaseline(workload)));

            assert.equal(component.length, 10 + 1);
            assert.equal(
                Object.keys(JSON.parse(component.find((r) => r.name === "regcred/service-accounts")!.inputs).entries)
                    .length,
                10 * serviceAccounts,
            );
            assert.deepEqual(baseline, component);
        });
    }

    for (const variant of ["component", "baseline"]) {
        it(`bench/measure.ts measures the ${variant} in a process of its own`, () => {
            const measure = path.join(__dirname, "..", "bench", "measure.ts");
            const result = spawnSync(
                process.execPath,
                ["-r", "ts-node/register/transpile-only", measure, variant, "10", "1"],
                { encoding: "utf8" },
            );
            assert.equal(result.status, 0, result.stderr);
            const sample = JSON.parse(result.stdout.trim().split("\n").pop()!);
            // The root Stack, the component if any, 10 Secrets and the entries resource: timing stops only once all are in.
            assert.equal(sample.resources, (variant === "component" ? 2 : 1) + 11, result.stdout);
            // npm run bench refuses a run that registered another number: its count must be this one.
            assert.equal(expectedResources(variant as "component" | "baseline", 10, 1), sample.resources);
            assert.ok(sample.ms > 0, result.stdout);
            assert.ok(sample.maxRssKb >= sample.rssBeforeKb, result.stdout);
        });
    }
});
