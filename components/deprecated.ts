/**
 * The settings 0.2.0 made unnecessary, kept so that 0.x programs still
 * compile and run. This is the only module that reads them: they are not
 * validated (they do nothing), and each one present gets one warning per
 * component. They go in 1.0 (CHANGELOG).
 */
import * as pulumi from "@pulumi/pulumi";
import type { RegistryCredentialsArgs } from "./args";

/** Each deprecated setting, on the component and on a namespace target, with what its warning says. */
export const DEPRECATED_SETTINGS = {
    takeOwnership:
        "takeOwnership is deprecated and ignored: since 0.2.0 the component adds and removes only its own entry in imagePullSecrets " +
        "and never takes the list from another writer, so there is nothing to force. Remove it; it goes in 1.0.",
    keepImagePullSecrets:
        "keepImagePullSecrets is deprecated and ignored: since 0.2.0 every other entry in imagePullSecrets is kept as it is. Remove it; it goes in 1.0.",
} as const;

/** The deprecated settings' names, which the argument checks accept without checking them. */
export const DEPRECATED_KEYS = Object.keys(DEPRECATED_SETTINGS) as (keyof typeof DEPRECATED_SETTINGS)[];

/** One warning for each deprecated setting given anywhere in the arguments. */
export function warnIfDeprecated(args: RegistryCredentialsArgs, component: pulumi.Resource): void {
    const targets: object[] = (Array.isArray(args.namespaces) ? args.namespaces : []).filter(
        (target) => typeof target === "object" && target !== null,
    );
    for (const key of DEPRECATED_KEYS) {
        if ([args, ...targets].some((settings) => (settings as Record<string, unknown>)[key] !== undefined)) {
            void pulumi.log.warn(DEPRECATED_SETTINGS[key], component);
        }
    }
}
