/**
 * The one polling loop of the test clusters, the e2e suite and the cluster
 * benchmarks: a cluster's state settles a moment after the write that asks
 * for it (a namespace's service account, a policy in force, a watch that has
 * caught up), so each of them checks again until it holds or time runs out.
 */

export interface Wait {
    /** What is awaited, as it reads after "waiting for": "the API server of local to be ready". */
    readonly awaited: string;
    readonly timeoutMs: number;
    /** The pause between two checks. */
    readonly intervalMs: number;
    /** What the last check saw, for the error when time runs out: the list as it was, the logs' last lines. */
    readonly lastSeen?: () => string;
}

/**
 * Checks `done` until it holds, pausing `intervalMs` between checks; once
 * `timeoutMs` has passed, fails with "timed out after N s waiting for
 * <awaited>", and what was seen last. A check that throws ends the wait
 * with its error.
 */
export async function waitFor(done: () => boolean | Promise<boolean>, wait: Wait): Promise<void> {
    const deadline = Date.now() + wait.timeoutMs;
    while (!(await done())) {
        if (Date.now() >= deadline) {
            const seen = wait.lastSeen === undefined ? "" : `; last seen: ${wait.lastSeen()}`;
            throw new Error(`timed out after ${wait.timeoutMs / 1000} s waiting for ${wait.awaited}${seen}`);
        }
        await new Promise((resolve) => setTimeout(resolve, wait.intervalMs));
    }
}

/**
 * The same loop for teardown, which stays synchronous (it also runs from a
 * signal handler, as the process exits) and goes on when time runs out:
 * whether `done` held before `timeoutMs` passed.
 */
export function waitForSync(done: () => boolean, timeoutMs: number, intervalMs: number): boolean {
    const deadline = Date.now() + timeoutMs;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while (!done()) {
        if (Date.now() >= deadline) {
            return false;
        }
        Atomics.wait(pause, 0, 0, intervalMs);
    }
    return true;
}
