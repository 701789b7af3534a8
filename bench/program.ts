/**
 * The Pulumi program the benchmark measures, in one of its two variants:
 * the component, or the loop a user would write without it. Its config
 * (`bench:variant`, `bench:namespaces`, `bench:serviceAccounts`) sets which
 * and how big, as a stack's config would.
 */
import * as pulumi from "@pulumi/pulumi";
import { RegistryCredentials } from "../components";
import { declareBaseline, declareWithComponent } from "./workloads";

const config = new pulumi.Config("bench");
const workload = {
    namespaces: config.requireNumber("namespaces"),
    serviceAccounts: config.requireNumber("serviceAccounts"),
};
if (config.require("variant") === "component") {
    declareWithComponent(RegistryCredentials, workload);
} else {
    declareBaseline(workload);
}
