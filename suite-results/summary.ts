// A run's summary: its identity and outcome (from the runner) plus the parsed test results, written
// as summary.json next to the untouched raw files.
import { existsSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { parseRawResults } from "./parsers";
import { readText } from "./text";
import { archiveLayout, type RunSummary, type SuiteName, type TestResult, type TestStatus } from "./types";

/** What the runner knows about a run; the tests come from the raw files. */
export type RunMeta = Omit<RunSummary, "version" | "tests" | "counts">;

export const testStatuses: readonly TestStatus[] = ["pass", "fail", "skip", "notrun", "error"];

export function countStatuses(tests: readonly TestResult[]): Record<TestStatus, number> {
  const counts: Record<TestStatus, number> = { pass: 0, fail: 0, skip: 0, notrun: 0, error: 0 };
  for (const t of tests) counts[t.status]++;
  return counts;
}

/** A test's name across runs and reports: `<section>/<id>` when it has a section, else the id. */
export function testKey(t: Pick<TestResult, "id" | "section">): string {
  return t.section ? `${t.section}/${t.id}` : t.id;
}

export function summarise(meta: RunMeta, tests: readonly TestResult[]): RunSummary {
  const sorted = [...tests].sort(
    (a, b) =>
      (a.section ?? "").localeCompare(b.section ?? "") || a.id.localeCompare(b.id, "en", { numeric: true }),
  );
  return { version: 1, ...meta, tests: sorted, counts: countStatuses(sorted) };
}

/** Parse the run folder's raw/ (and runner.log, the console output, when present) into a summary. */
export function summariseRunDir(runDir: string, meta: RunMeta): RunSummary {
  const rawDir = path.join(runDir, archiveLayout.raw);
  if (!existsSync(rawDir))
    throw new Error(`${runDir}: no ${archiveLayout.raw}/ folder with the suite's results`);
  const console = readText(path.join(runDir, archiveLayout.runnerLog));
  return summarise(meta, parseRawResults(meta.suite, rawDir, { console }));
}

/** Write summary.json into the run folder (atomically: a reader never sees half a file). */
export function writeSummary(runDir: string, summary: RunSummary): string {
  const file = path.join(runDir, archiveLayout.summary);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(summary, null, 2)}\n`);
  renameSync(tmp, file);
  return file;
}

/** summariseRunDir + writeSummary: what SuiteRun calls after copying the raw results home. */
export function writeRunSummary(runDir: string, meta: RunMeta): RunSummary {
  const summary = summariseRunDir(runDir, meta);
  writeSummary(runDir, summary);
  return summary;
}

const suiteNames = [
  "fstests",
  "blktests",
  "selftests",
  "ltp",
  "nfstest",
  "pynfs",
  "mmtests",
] as const satisfies readonly SuiteName[];
const statusSchema = z.enum(["pass", "fail", "skip", "notrun", "error"]);

const summarySchema = z.object({
  version: z.literal(1),
  suite: z.enum(suiteNames),
  section: z.string().optional(),
  stack: z.string(),
  guest: z.string(),
  kernelRelease: z.string(),
  runId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  outcome: z.enum(["completed", "timedOut", "failed"]),
  tests: z.array(
    z.object({
      id: z.string(),
      status: statusSchema,
      durationSeconds: z.number().optional(),
      excerpt: z.string().optional(),
      section: z.string().optional(),
    }),
  ),
  counts: z.object({
    pass: z.number(),
    fail: z.number(),
    skip: z.number(),
    notrun: z.number(),
    error: z.number(),
  }),
});

/** Parse summary.json text; the error names the file and the first offending field. */
export function parseSummary(text: string, where: string): RunSummary {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: not JSON (${(e as Error).message})`);
  }
  const parsed = summarySchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "(top level)";
    throw new Error(`${where}: not a nixlab run summary: ${field}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data as RunSummary;
}
