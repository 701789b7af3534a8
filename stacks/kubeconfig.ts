/**
 * The kubeconfig as kubectl reads it: the files KUBECONFIG lists (or
 * ~/.kube/config), the first `current-context` set among them, and which
 * file defines a context. The stacks' program and render use it; the
 * provider reads only one file.
 */
import { kubeconfigFiles, listedFiles, readKubeconfigFile } from "../components/kubeconfig";

export { kubeconfigFiles };

/** The current context as kubectl resolves it (the first file that sets one wins), with that file. */
export function currentContext(kubeconfig = process.env.KUBECONFIG): { context: string; file: string } | undefined {
    for (const file of kubeconfigFiles(kubeconfig)) {
        const context = readKubeconfigFile(file)?.["current-context"];
        if (typeof context === "string" && context !== "") {
            return { context, file };
        }
    }
    return undefined;
}

/**
 * The provider reads KUBECONFIG as one file (or one document), where kubectl
 * takes a list of files: `KUBECONFIG=eu.yaml:us.yaml` fails in the provider
 * with a JSON parse error. So when KUBECONFIG lists several files, give each
 * provider the file that defines its context. With one file, or none that
 * defines it, leave the provider to its defaults.
 */
export function kubeconfigFileFor(context: string | undefined, kubeconfig = process.env.KUBECONFIG): string | undefined {
    const files = listedFiles(kubeconfig);
    if (files.length < 2) {
        return undefined;
    }
    const wanted = context ?? currentContext(kubeconfig)?.context;
    return files.find((file) => fileDefines(file, wanted));
}

/** Whether any of the kubeconfig's files defines the context (read offline, as render reads it). */
export function definesContext(context: string, kubeconfig = process.env.KUBECONFIG): boolean {
    return kubeconfigFiles(kubeconfig).some((file) => fileDefines(file, context));
}

function fileDefines(file: string, context: string | undefined): boolean {
    return (readKubeconfigFile(file)?.contexts ?? []).some((entry) => entry?.name === context);
}
