/**
 * The kubelet's key for an `auths` entry (pkg/credentialprovider,
 * BasicDockerKeyring.Add), on a table of the ways people write servers.
 */
import { strict as assert } from "assert";
import { DOCKER_HUB_SERVER } from "../components/dockerConfig";
import { DOCKER_HUB_KEY, kubeletKey } from "../components/registryKey";

const KEYS: [server: string, key: string][] = [
    ["ghcr.io", "ghcr.io"],
    ["ghcr.io/", "ghcr.io"],
    ["https://ghcr.io", "ghcr.io"],
    ["http://ghcr.io/", "ghcr.io"],
    ["https://ghcr.io/v2/", "ghcr.io"],
    ["https://ghcr.io/v1/", "ghcr.io"],
    // /v1 or /v2 with more after it: only the prefix goes.
    ["https://ghcr.io/v2/acme", "ghcr.io/acme"],
    ["ghcr.io/v2/acme/", "ghcr.io/acme/"],
    // Without its trailing slash, /v2 is an ordinary path.
    ["ghcr.io/v2", "ghcr.io/v2"],
    ["ghcr.io/acme", "ghcr.io/acme"],
    ["registry.example.com:5000", "registry.example.com:5000"],
    ["https://registry.example.com:5000/v2/", "registry.example.com:5000"],
    ["127.0.0.1:5000", "127.0.0.1:5000"],
    ["[::1]:5000", "[::1]:5000"],
    ["*.example.com", "*.example.com"],
    // Query and fragment are not part of the key; escapes in the path are decoded, as Go does.
    ["ghcr.io/acme?x=1#y", "ghcr.io/acme"],
    ["ghcr.io/a%20b", "ghcr.io/a b"],
    // Go does not fold case.
    ["GHCR.io", "GHCR.io"],
    [DOCKER_HUB_SERVER, DOCKER_HUB_KEY],
    ["index.docker.io", DOCKER_HUB_KEY],
    ["https://index.docker.io/v2/", DOCKER_HUB_KEY],
];

const REFUSED: [server: string, because: RegExp][] = [
    [" ghcr.io", /blanks/],
    ["ghcr.io ", /blanks/],
    ["ghcr.io/a b", /blanks/],
    ["ghcr.io\t", /control character/],
    ["ghcr.io:port", /invalid port/],
    ["ghcr.io:50:00", /invalid port/],
    ["ghcr.io/%zz", /'%'/],
    ["ghcr^io", /not allowed in a host name/],
    ["gh%63r.io", /not allowed in a host name/],
    ["[::1:5000", /IPv6/],
    [":5000", /no host name/],
    ["https://", /no host name/],
    ["oci://ghcr.io", /"oci:\/\/"/],
    ["HTTPS://ghcr.io", /"HTTPS:\/\/"/],
    ["user@ghcr.io", /user name/],
];

describe("kubeletKey", () => {
    for (const [server, key] of KEYS) {
        it(`files ${JSON.stringify(server)} under ${JSON.stringify(key)}`, () => {
            assert.deepEqual(kubeletKey(server), { key });
        });
    }
    for (const [server, because] of REFUSED) {
        it(`refuses ${JSON.stringify(server)}, which the kubelet cannot use`, () => {
            const result = kubeletKey(server);
            assert.ok("problem" in result, `got ${JSON.stringify(result)}`);
            assert.match(result.problem, because);
        });
    }
});
