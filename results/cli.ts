// `nixlab results ...`: list, show, compare and export the runs in a results archive.
// Errors are one line on stderr and a non-zero exit (2 for a wrong command line), never a stack trace.
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { type ArchivedRun, findRun, latestRun, listRuns, type RunFilter } from "./archive";
import { compareWithBaseline, loadBaseline } from "./baseline";
import { compareRuns } from "./compare";
import { htmlReport } from "./report/html";
import { junitXml } from "./report/junit";
import { compareText, listText, showText } from "./report/text";

class UsageError extends Error {}

const usage = `usage: nixlab results <command> [options]

commands:
  list [--stack S] [--guest G] [--kernel K] [--json]
                              the runs in the archive, oldest first
  show <run> [--all] [--excerpts] [--baseline PATH]
                              one run's tests (not-passed first; --all adds the passes)
  compare <runA> <runB> [--slower-factor F] [--slower-min S]
  compare --guest G --kernels K1,K2 [--stack S]
                              new failures, fixes and slower tests of B against A
                              (by kernel: the newest run of each kernel on the guest)
  junit <run>... -o FILE      merged JUnit XML for CI systems (FILE "-" is stdout)
  html <run>... -o FILE [--title T]
                              a self-contained HTML report: pass/fail matrix, duration chart

  junit and html take --latest [--stack S] [--guest G] instead of runs: the newest run of each guest.

A <run> is its folder, its stack/guest/kernel/runId path in the archive (or the end of it), or its
run id. Options for every command: --archive DIR (default ./results), --help.`;

const common = {
  archive: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function parse<O extends Record<string, { type: "string" | "boolean"; short?: string }>>(
  argv: string[],
  options: O,
) {
  try {
    return parseArgs({
      args: argv,
      options: { ...common, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function filterFrom(values: { stack?: string; guest?: string; kernel?: string }): RunFilter {
  const f: RunFilter = {};
  if (values.stack !== undefined) f.stack = values.stack;
  if (values.guest !== undefined) f.guest = values.guest;
  if (values.kernel !== undefined) f.kernelRelease = values.kernel;
  return f;
}

function positiveNumber(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new UsageError(`${option}: "${value}" is not a non-negative number`);
  return n;
}

/** The runs named on the command line, or with --latest the newest run of each matching guest. */
function selectRuns(
  root: string,
  positionals: string[],
  values: { latest?: boolean; stack?: string; guest?: string },
) {
  if (values.latest) {
    if (positionals.length > 0) throw new UsageError("give runs or --latest, not both");
    const newest = new Map<string, ArchivedRun>();
    for (const r of listRuns(root, filterFrom(values)))
      newest.set(`${r.summary.stack}/${r.summary.guest}`, r);
    if (newest.size === 0) throw new Error(`no runs match in ${root}`);
    return [...newest.values()];
  }
  if (positionals.length === 0)
    throw new UsageError("name at least one run (see `nixlab results list`), or use --latest");
  return positionals.map((spec) => findRun(root, spec));
}

function writeOutput(file: string | undefined, text: string, out: (s: string) => void): void {
  if (file === undefined) throw new UsageError("-o FILE is required");
  if (file === "-") {
    out(text);
    return;
  }
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

function results(argv: string[], io: Io): number {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    io.out(usage);
    return command === undefined ? 2 : 0;
  }
  switch (command) {
    case "list": {
      const { values, positionals } = parse(rest, {
        stack: { type: "string" },
        guest: { type: "string" },
        kernel: { type: "string" },
        json: { type: "boolean" },
      });
      if (values.help) return help(io);
      if (positionals.length > 0) throw new UsageError(`list takes no runs (got "${positionals[0]}")`);
      const root = values.archive ?? "results";
      const runs = listRuns(root, filterFrom(values));
      io.out(
        values.json
          ? JSON.stringify(
              runs.map((r) => ({ dir: r.dir, ...r.summary, tests: undefined })),
              null,
              2,
            )
          : listText(root, runs),
      );
      return 0;
    }
    case "show": {
      const { values, positionals } = parse(rest, {
        all: { type: "boolean" },
        excerpts: { type: "boolean" },
        baseline: { type: "string" },
      });
      if (values.help) return help(io);
      if (positionals.length !== 1) throw new UsageError("show takes one run");
      const root = values.archive ?? "results";
      const run = findRun(root, positionals[0] as string);
      const baseline =
        values.baseline !== undefined
          ? compareWithBaseline(run.summary, loadBaseline({ path: values.baseline }))
          : undefined;
      io.out(showText(root, run, { all: values.all, excerpts: values.excerpts, baseline }));
      return 0;
    }
    case "compare": {
      const { values, positionals } = parse(rest, {
        stack: { type: "string" },
        guest: { type: "string" },
        kernels: { type: "string" },
        "slower-factor": { type: "string" },
        "slower-min": { type: "string" },
      });
      if (values.help) return help(io);
      const root = values.archive ?? "results";
      // Options first: a bad number is reported before the archive is read.
      const options = {
        slowerFactor: positiveNumber(values["slower-factor"], "--slower-factor", 1.5),
        slowerMinSeconds: positiveNumber(values["slower-min"], "--slower-min", 5),
      };
      let pair: [ArchivedRun, ArchivedRun];
      if (values.kernels !== undefined) {
        const kernels = values.kernels.split(",").filter((k) => k !== "");
        if (kernels.length !== 2)
          throw new UsageError(`--kernels takes two kernel releases, "A,B" (got "${values.kernels}")`);
        if (values.guest === undefined) throw new UsageError("compare --kernels needs --guest");
        if (positionals.length > 0) throw new UsageError("give two runs or --kernels, not both");
        const base = { guest: values.guest, ...(values.stack !== undefined && { stack: values.stack }) };
        pair = [
          latestRun(root, { ...base, kernelRelease: kernels[0] as string }),
          latestRun(root, { ...base, kernelRelease: kernels[1] as string }),
        ];
      } else {
        if (positionals.length !== 2)
          throw new UsageError("compare takes two runs (or --guest G --kernels A,B)");
        pair = [findRun(root, positionals[0] as string), findRun(root, positionals[1] as string)];
      }
      const c = compareRuns(pair[0].summary, pair[1].summary, options);
      io.out(compareText(root, pair[0], pair[1], c));
      return 0;
    }
    case "junit":
    case "html": {
      const { values, positionals } = parse(rest, {
        output: { type: "string", short: "o" },
        latest: { type: "boolean" },
        stack: { type: "string" },
        guest: { type: "string" },
        title: { type: "string" },
      });
      if (values.help) return help(io);
      if (values.output === undefined) throw new UsageError("-o FILE is required");
      const root = values.archive ?? "results";
      const runs = selectRuns(root, positionals, values).map((r) => r.summary);
      const text = command === "junit" ? junitXml(runs) : htmlReport(runs, { title: values.title });
      writeOutput(values.output, text, io.out);
      if (values.output !== "-") io.err(`wrote ${values.output} (${runs.length} run(s))`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function help(io: Io): number {
  io.out(usage);
  return 0;
}

/** Run the CLI with `argv` (without node and the script); returns the exit code. */
export function run(
  argv: string[],
  io: Io = { out: (s) => console.log(s), err: (s) => console.error(s) },
): number {
  try {
    const [area, ...rest] = argv;
    if (area === "results") return results(rest, io);
    if (area === undefined || area === "--help" || area === "-h" || area === "help") {
      io.out(usage);
      return area === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command "${area}" (nixlab has: results)`);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof UsageError) {
      io.err(`nixlab: ${message}\n(nixlab results --help for usage)`);
      return 2;
    }
    io.err(`nixlab: ${message}`);
    return 1;
  }
}

if (require.main === module) process.exitCode = run(process.argv.slice(2));
