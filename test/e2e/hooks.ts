/**
 * The e2e suite's one shared cluster: started before the first test (building
 * the pinned tools if they are missing) and removed after the last, however
 * the run ends. A test that needs a second cluster starts its own.
 */
import { Cluster } from "../../testcluster/controlPlane";
import { removeScratch, startCluster, stopCluster } from "../../testcluster/scratch";

let shared: Cluster | undefined;

/** The cluster every e2e test file uses. */
export function sharedCluster(): Cluster {
    if (shared === undefined) {
        throw new Error("the shared e2e cluster is not running: run the suite with npm run test:e2e");
    }
    return shared;
}

export const mochaHooks = {
    async beforeAll(this: Mocha.Context) {
        // A cold machine builds the toolchain first: about 25 minutes on 2 cores.
        this.timeout(60 * 60 * 1000);
        shared = await startCluster("shared");
    },
    afterAll() {
        stopCluster(shared);
        removeScratch();
    },
};

// A run stopped with Ctrl-C still stops the cluster's processes.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
        stopCluster(shared);
        removeScratch();
        process.exit(130);
    });
}
