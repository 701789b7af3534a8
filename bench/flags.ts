/**
 * The benchmarks' command lines (`npm run bench:real -- --sizes 1000`): each
 * script reads its flags with `flagValue`, and the cluster benchmarks start
 * the section they write with `commandLine`, so that a reader can run the
 * same again.
 */

/** The value after `flag` on the command line, or undefined when the flag is not there. */
export function flagValue(flag: string, argv: readonly string[] = process.argv): string | undefined {
    return argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined;
}

/** The command as it was run, as `npm run <script>` with its flags. */
export function commandLine(script: string, argv: readonly string[] = process.argv): string {
    return `npm run ${script}${argv.length > 2 ? ` -- ${argv.slice(2).join(" ")}` : ""}`;
}
