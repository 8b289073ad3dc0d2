// The shell halves of a suite run, each run on the guest as `sh -c <script> sh <args...>` (the
// arguments travel as positional parameters, never spliced into the script). They work with
// busybox sh as with bash. A run folder on the guest holds:
//   <run>/results/   NIXLAB_RESULTS_DIR: the suite's raw results (the runner writes them)
//   <run>/pid        the runner's process id, which is also its process group (it runs under setsid)
//   <run>/status     its exit status, once it has one

/** The runner every suite-carrying system puts on root's PATH (see the contract in suite-run.ts). */
export const runnerCommand = "nixlab-run-suite";

/**
 * First contact: is the runner there? Make the run folder; print the kernel release.
 * $1 = run folder. Exit 127: no runner on PATH.
 */
export const probeScript = `set -u
if ! command -v ${runnerCommand} >/dev/null 2>&1; then
  echo "no ${runnerCommand} on root's PATH ($PATH)" >&2
  exit 127
fi
mkdir -p "$1/results" || exit 126
uname -r`;

/**
 * Run the suite: the runner in a session of its own (so that it and all its children can be
 * stopped as one process group), its stdout and stderr as one stream to ours, its exit status
 * as ours. SIGPIPE is ignored, so a lost connection costs the runner its console output but not
 * its results. $1 = run folder, then the NAME=value environment for the runner.
 */
export const runScript = `set -u
run=$1
shift
cd "$run" || exit 126
trap '' PIPE
( exec setsid env "$@" NIXLAB_RESULTS_DIR="$run/results" ${runnerCommand} 2>&1 ) &
pid=$!
echo "$pid" > "$run/pid"
wait "$pid"
rc=$?
echo "$rc" > "$run/status"
exit "$rc"`;

/**
 * Stop the runner's process group: SIGTERM (fstests' check and the stand-in wrap up their report
 * on it), then SIGKILL after $2 seconds. $1 = run folder. A process group as busybox' kill takes
 * it (`-s SIG -PGID`), else as dash's does (`-s SIG -- -PGID`); bash takes both.
 */
export const stopScript = `set -u
[ -f "$1/pid" ] || exit 0
pid=$(cat "$1/pid")
group() { kill -s "$1" -"$pid" 2>/dev/null || kill -s "$1" -- -"$pid" 2>/dev/null; }
group TERM || exit 0
i=0
while group 0 && [ "$i" -lt "$2" ]; do sleep 1; i=$((i + 1)); done
if group 0; then group KILL; echo "killed after $2 s"; else echo "stopped"; fi`;

/** The results folder as a tar stream on stdout. $1 = run folder. */
export const collectScript = `set -u
cd "$1/results" || exit 126
exec tar -cf - .`;

/** Remove the run folder once its results are home. $1 = run folder. */
export const cleanupScript = `rm -rf "$1"`;

/** camelCase or kebab option names as environment names: hangAt → HANG_AT. */
export function optionEnvName(option: string): string {
  return `NIXLAB_SUITE_OPT_${option
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]/g, "_")
    .toUpperCase()}`;
}

export type OptionValue = string | number | boolean | string[];

/** An option's value in the environment: lists space-separated, booleans as 1/0. */
export function optionEnvValue(v: OptionValue): string {
  if (Array.isArray(v)) return v.join(" ");
  if (typeof v === "boolean") return v ? "1" : "0";
  return String(v);
}

export interface RunnerEnv {
  suite: string;
  section?: string | undefined;
  options: Record<string, OptionValue>;
  testTimeoutSeconds: number;
  runId: string;
}

/** The NAME=value arguments runScript passes to the runner (see the contract in suite-run.ts). */
export function runnerEnv(e: RunnerEnv): string[] {
  const env = [
    `NIXLAB_SUITE=${e.suite}`,
    `NIXLAB_SUITE_SECTION=${e.section ?? ""}`,
    `NIXLAB_SUITE_OPTIONS=${JSON.stringify(e.options)}`,
    `NIXLAB_TEST_TIMEOUT_SECONDS=${e.testTimeoutSeconds}`,
    `NIXLAB_RUN_ID=${e.runId}`,
  ];
  for (const [k, v] of Object.entries(e.options).sort(([a], [b]) => (a < b ? -1 : 1)))
    env.push(`${optionEnvName(k)}=${optionEnvValue(v)}`);
  return env;
}
