/**
 * The one place that sets Pulumi's mock runtime. Every test file imports it
 * before the code under test, which it loads with `loadComponents()`.
 *
 * It records each registration as the engine receives it: inputs still
 * serialized (so a secret shows as its wrapper), with parent, provider and
 * dependencies, which the mocks' own `newResource` callback does not see.
 */
import * as pulumi from "@pulumi/pulumi";

export const PROJECT = "platform";
export const STACK = "test";

/** The serialized form's marker for a secret value. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface Registration {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly custom: boolean;
    /** The inputs as serialized for the engine: secrets are still wrapped. */
    readonly inputs: Record<string, any>;
    readonly parent: string;
    readonly provider: string;
    readonly dependencies: string[];
}

const registrations: Registration[] = [];

pulumi.runtime.setMocks(
    {
        newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
        call: (args) => args.inputs,
    },
    PROJECT,
    STACK,
    false,
);

// Configured as the README tells users to, so that password rotation updates
// Secrets in place; the test of the warning without it switches it off.
pulumi.runtime.setConfig("kubernetes:enableSecretMutable", "true");

type Callback = (err: Error | null, response: any) => void;
interface Monitor {
    registerResource(req: any, callback: Callback): void;
    registerResourceOutputs(req: any, callback: Callback): void;
}
const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
const registerResource = monitor.registerResource.bind(monitor);
const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
/** The outputs a component registered, by URN, serialized as for state. */
export const componentOutputs = new Map<string, Record<string, any>>();
monitor.registerResourceOutputs = (req, callback) => {
    componentOutputs.set(req.getUrn(), req.getOutputs()?.toJavaScript() ?? {});
    registerResourceOutputs(req, callback);
};
monitor.registerResource = (req, callback) =>
    registerResource(req, (err, response) => {
        if (!err) {
            registrations.push({
                type: req.getType(),
                name: req.getName(),
                urn: response.getUrn(),
                custom: req.getCustom(),
                inputs: req.getObject()?.toJavaScript() ?? {},
                parent: req.getParent(),
                provider: req.getProvider(),
                dependencies: req.getDependenciesList(),
            });
        }
        callback(err, response);
    });

/** The library, loaded after the mocks are in place. */
export function loadComponents(): Promise<typeof import("../components")> {
    return import("../components");
}

/** The value of an Output, once known. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/**
 * Runs `declare`, waits until every resource it returns is registered, and
 * returns the registrations made meanwhile. A component's own URN resolves
 * before its children exist, so pass the children too.
 */
export async function registered(declare: () => pulumi.Resource[]): Promise<Registration[]> {
    const start = registrations.length;
    const resources = declare();
    await Promise.all(resources.map((resource) => valueOf(resource.urn)));
    // Let registrations that finished in the same turn reach the list.
    await new Promise((resolve) => setImmediate(resolve));
    return registrations.slice(start);
}

export function isSecretWrapped(value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** The value inside a serialized secret. */
export function unwrapSecret(value: any): any {
    return isSecretWrapped(value) ? value.value : value;
}
