// The normalised shape of one suite run's results, whatever suite wrote them. The raw files stay
// untouched beside it in the archive (results/<stack>/<guest>/<kernel release>/<run id>/raw/);
// this is what parsers produce, baselines are compared against and reports read.

export type SuiteName = "fstests" | "blktests" | "selftests" | "ltp" | "nfstest" | "pynfs" | "mmtests";

export type TestStatus = "pass" | "fail" | "skip" | "notrun" | "error";

export interface TestResult {
  /** The suite's own test id: `generic/001`, `block/002`, `net:udpgso.sh`, `fork01`. */
  id: string;
  status: TestStatus;
  /** Seconds, when the suite recorded it. */
  durationSeconds?: number;
  /** Why it did not pass: the first lines of the diff/log/TAP diagnostics (at most ~4 KiB). */
  excerpt?: string;
  /** The suite's section/device/collection this result belongs to (fstests section, blktests device). */
  section?: string;
}

export interface RunSummary {
  /** Format version of this file. */
  version: 1;
  suite: SuiteName;
  section?: string;
  stack: string;
  guest: string;
  kernelRelease: string;
  runId: string;
  /** ISO 8601 times of the run on the guest (as the runner saw them). */
  startedAt: string;
  finishedAt: string;
  /** completed: the suite finished; timedOut: the run hit its limit and what existed was collected;
   *  failed: the runner itself failed (no results, or not all). */
  outcome: "completed" | "timedOut" | "failed";
  tests: TestResult[];
  counts: Record<TestStatus, number>;
}

/** What a run's failures mean against a baseline (known failures, kdevops' expunge idea). */
export interface BaselineComparison {
  /** Failed (fail/error) and not in the baseline. */
  regressions: string[];
  /** In the baseline and now pass. */
  fixes: string[];
  /** Failed and in the baseline. */
  knownFailures: string[];
}

/** The archive file names, relative to a run's folder. */
export const archiveLayout = {
  raw: "raw",
  summary: "summary.json",
  runnerLog: "runner.log",
} as const;
