/**
 * Pulumi's mock runtime, recording what a program declares: the engine
 * behind `npm run render` and behind the tests (through test/mocks.ts).
 *
 * Call {@link startMockRuntime} once per process, before the program is
 * loaded. It records each registration as the engine receives it: inputs
 * still serialized, so that a secret shows as its wrapper, with parent,
 * provider and dependencies, none of which the mocks' own `newResource`
 * callback sees (it gets the inputs with secrets already unwrapped).
 */
import * as pulumi from "@pulumi/pulumi";

/** One resource as the engine saw it. */
/** A property value as serialized for the engine: any JSON, with each secret as a wrapper object. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the engine's wire format; readers check the shape they expect
export type SerializedValue = any;

export interface Registration {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly custom: boolean;
    /** The inputs as serialized for the engine: secrets are still wrapped. */
    readonly inputs: Record<string, SerializedValue>;
    readonly parent: string;
    /** `<provider URN>::<provider id>`, or empty for the default provider. */
    readonly provider: string;
    readonly dependencies: string[];
}

export interface MockRuntime {
    /** Every registration so far, in the order the engine answered them. */
    readonly registrations: Registration[];
    /** The outputs a component registered, by URN, serialized as for state. */
    readonly componentOutputs: Map<string, Record<string, SerializedValue>>;
}

/** A gRPC message of the engine's protocol; the SDK does not type them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's generated protocol classes carry no types
type GrpcMessage = any;
type Callback = (err: Error | null, response: GrpcMessage) => void;
interface Monitor {
    registerResource(req: GrpcMessage, callback: Callback): void;
    registerResourceOutputs(req: GrpcMessage, callback: Callback): void;
}

/**
 * Switches this process to the mock runtime. Pulumi keeps one runtime per
 * process, so a second call would replace the monitor under resources that
 * are still registering: call it once.
 */
export function startMockRuntime(project: string, stack: string): MockRuntime {
    const runtime: MockRuntime = { registrations: [], componentOutputs: new Map() };
    void pulumi.runtime.setMocks(
        {
            // An empty id would leave every output unknown forever.
            newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
            call: (args) => args.inputs,
        },
        project,
        stack,
        false,
    );

    const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
    const registerResource = monitor.registerResource.bind(monitor);
    const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req, callback) => {
        runtime.componentOutputs.set(req.getUrn(), req.getOutputs()?.toJavaScript() ?? {});
        registerResourceOutputs(req, callback);
    };
    monitor.registerResource = (req, callback) =>
        registerResource(req, (err, response) => {
            if (!err) {
                runtime.registrations.push({
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
    return runtime;
}

/** The value of an Output, once known. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/**
 * Waits until every given resource is registered. A component's own URN
 * resolves before its children exist, so pass the children too.
 */
export async function allRegistered(resources: readonly pulumi.Resource[]): Promise<void> {
    await Promise.all(resources.map((resource) => valueOf(resource.urn)));
    // Let registrations that finished in the same turn reach the list.
    await new Promise((resolve) => setImmediate(resolve));
}

/** Whether a serialized value is a secret's wrapper. */
export function isSecretWrapped(value: unknown): boolean {
    return (
        typeof value === "object" &&
        value !== null &&
        (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig
    );
}

/** The value inside a serialized secret. */
export function unwrapSecret(value: SerializedValue): SerializedValue {
    return isSecretWrapped(value) ? value.value : value;
}
