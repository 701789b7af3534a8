/**
 * The component's idea of a registry key (components/registryKey.ts) against
 * the kubelet's own code (testcluster/keyring, which calls
 * k8s.io/kubernetes pkg/credentialprovider): on a table of servers and on a
 * seeded random set. Where we give a key, it is the kubelet's; where the
 * kubelet ignores an entry, we refuse it. We may refuse more than the kubelet
 * ignores, where the kubelet's key could match no image (blanks, a scheme glued
 * to the host, no host at all), never less. And which entry the kubelet
 * uses for an image (testcluster/pullproof's match, its keyring's Lookup):
 * the one whose key, as we compute it, matches the image by its rules.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { DOCKER_HUB_SERVER } from "../../components/dockerConfig";
import { kubeletKey, matchingKeys } from "../../components/registryKey";
import { keyringHelper, pullProofHelper } from "../../testcluster/toolchain";

const TABLE = [
    "ghcr.io",
    "ghcr.io/",
    "https://ghcr.io",
    "http://ghcr.io/",
    "https://ghcr.io/v2/",
    "https://ghcr.io/v1/",
    "https://ghcr.io/v2/acme",
    "ghcr.io/v2",
    "ghcr.io/acme",
    "registry.example.com:5000",
    "https://registry.example.com:5000/v2/",
    "127.0.0.1:5000",
    "[::1]:5000",
    "*.example.com",
    "ghcr.io/acme?x=1#y",
    "ghcr.io/a%20b",
    "GHCR.io",
    DOCKER_HUB_SERVER,
    "index.docker.io",
    "https://index.docker.io/v2/",
    " ghcr.io",
    "ghcr.io ",
    "ghcr.io\t",
    "ghcr.io:port",
    "ghcr.io/%zz",
    "ghcr^io",
    "[::1:5000",
    "https://",
    "ghcr.io:",
    "ghcr.io/v1/v2/x",
];

/** Servers built from the parts people get wrong, reproducibly (a fixed-seed linear congruential generator). */
function randomServers(count: number, seed = 20261125): string[] {
    let state = seed;
    const next = (n: number) => {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        return state % n;
    };
    const pick = <T>(items: readonly T[]) => items[next(items.length)];
    const schemes = ["", "", "https://", "http://", "HTTPS://", "oci://"];
    const hosts = [
        "ghcr.io",
        "r.example.com",
        "127.0.0.1",
        "[::1]",
        "index.docker.io",
        "Reg.Example.COM",
        "a_b.io",
        "x%41.io",
        "ex ample.io",
        "*.ex.io",
        "",
        "ünï.io",
    ];
    const ports = ["", "", ":5000", ":", ":abc", ":50:00"];
    const paths = [
        "",
        "",
        "/",
        "/v1/",
        "/v2/",
        "/v2",
        "/v2/team",
        "/team/app",
        "/a%2Fb",
        "/%zz",
        "/a b",
        "//x",
        "/v1/v2/",
    ];
    const tails = ["", "", "", "?q=1", "#f", " ", "\t"];
    return Array.from({ length: count }, () => pick(schemes) + pick(hosts) + pick(ports) + pick(paths) + pick(tails));
}

describe("server keys, against the kubelet's own code", function () {
    let helper: string;
    before(function () {
        this.timeout(20 * 60 * 1000);
        helper = keyringHelper();
    });

    function kubeletKeys(servers: string[]): (string | null)[] {
        const result = spawnSync(helper, [], { input: JSON.stringify(servers), encoding: "utf8" });
        assert.equal(result.status, 0, result.stderr);
        return JSON.parse(result.stdout);
    }

    function compare(servers: string[]): { agreed: number; stricter: string[] } {
        const theirs = kubeletKeys(servers);
        const stricter: string[] = [];
        servers.forEach((server, i) => {
            const ours = kubeletKey(server);
            if ("key" in ours) {
                assert.equal(
                    ours.key,
                    theirs[i],
                    `${JSON.stringify(server)}: we file it under ${JSON.stringify(ours.key)}, the kubelet under ${JSON.stringify(theirs[i])}`,
                );
            } else if (theirs[i] !== null) {
                stricter.push(server);
            }
        });
        return { agreed: servers.length - stricter.length, stricter };
    }

    it("agrees on every row of the table", function () {
        const { stricter } = compare(TABLE);
        // The only row we refuse and the kubelet files: no host, under the empty key.
        assert.deepEqual(stricter, ["https://"]);
    });

    it("agrees on 2,000 seeded random servers: the same key, or a refusal where the kubelet ignores the entry", function () {
        const servers = randomServers(2000);
        const { agreed, stricter } = compare(servers);
        // Most of them are keys we both give; the rest we refuse on purpose (see the file's comment).
        assert.ok(agreed > 1000, `only ${agreed} agreed`);
        // Each of them files under a key no image reference can match: blanks, or a scheme glued to the host.
        for (const server of stricter) {
            assert.match(
                (kubeletKey(server) as { problem: string }).problem,
                /^(contains blanks|starts with "(HTTPS|oci):\/\/")/,
                JSON.stringify(server),
            );
        }
    });
});

/** The servers of one keyring, and images to look up in it. */
const MATCH_SERVERS = [
    "ghcr.io",
    "https://ghcr.io/v2/acme",
    "ghcr.io/acme/app",
    "*.example.com",
    "registry.example.com:5000",
    "https://registry.example.com:5000/v2/",
    "127.0.0.1:5000/team",
    "http://127.0.0.1:5001/",
    DOCKER_HUB_SERVER,
    "GHCR.io",
    "quay.io/org",
];
const MATCH_IMAGES = [
    "ghcr.io/acme/app",
    "ghcr.io/other/app",
    "ghcr.io/acme-two/x",
    "a.example.com/x",
    "a.b.example.com/x",
    "example.com/x",
    "registry.example.com:5000/x",
    "registry.example.com/x",
    "127.0.0.1:5000/team/app:1",
    "127.0.0.1:5000/other/app",
    "127.0.0.1:5001/any",
    "nginx",
    "library/nginx",
    "docker.io/library/nginx",
    "index.docker.io/library/nginx",
    "quay.io/org/app",
    "quay.io/organisation/app",
    "quay.io/other",
];

/** The servers whose entries the component's lookup (components/registryKey.ts, matchingKeys) gives for an image. */
function expectedMatches(servers: readonly string[], image: string): number[] {
    const keys = servers.map((server) => (kubeletKey(server) as { key: string }).key);
    const matched = new Set(matchingKeys(keys, image));
    return keys.flatMap((key, i) => (matched.has(key) ? [i] : []));
}

describe("which entry the kubelet uses for an image, against its own code", function () {
    let helper: string;
    before(function () {
        this.timeout(30 * 60 * 1000);
        helper = pullProofHelper();
    });

    it("is the entry whose key, as the component computes it, matches the image", function () {
        const result = spawnSync(helper, ["match"], {
            input: JSON.stringify({ servers: MATCH_SERVERS, images: MATCH_IMAGES }),
            encoding: "utf8",
        });
        assert.equal(result.status, 0, result.stderr);
        const theirs: number[][] = JSON.parse(result.stdout);
        MATCH_IMAGES.forEach((image, i) => {
            const names = (indexes: number[]) => indexes.map((index) => MATCH_SERVERS[index]).sort();
            assert.deepEqual(
                names(expectedMatches(MATCH_SERVERS, image)),
                names(theirs[i]),
                `the entries the kubelet uses for ${image}`,
            );
        });
        // The table exercises each rule: a path prefix, a glob, a port, the Docker Hub fallback, and a host in capitals that matches nothing.
        assert.deepEqual(theirs[MATCH_IMAGES.indexOf("ghcr.io/acme/app")].map((index) => MATCH_SERVERS[index]).sort(), [
            "ghcr.io",
            "ghcr.io/acme/app",
            "https://ghcr.io/v2/acme",
        ]);
        assert.ok(!theirs.flat().includes(MATCH_SERVERS.indexOf("GHCR.io")), "GHCR.io matched an image");
    });
});
