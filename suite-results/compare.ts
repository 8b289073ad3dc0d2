// Two runs side by side: what newly fails, what got fixed, what got slower.
import { testKey } from "./summary";
import type { RunSummary, TestResult, TestStatus } from "./types";

export interface SlowerTest {
  key: string;
  beforeSeconds: number;
  afterSeconds: number;
}

export interface RunComparison {
  /** Fail/error in the second run, and passed, was skipped or was absent in the first. */
  newFailures: string[];
  /** Fail/error in the first run, pass in the second. */
  fixes: string[];
  /** Fail/error in both. */
  stillFailing: string[];
  /** Slower by at least the factor and the minimum, slowest change first. */
  slower: SlowerTest[];
  /** In only one of the runs. */
  onlyInFirst: string[];
  onlyInSecond: string[];
}

export interface CompareOptions {
  /** A test is slower when it took at least this many times as long (default 1.5)... */
  slowerFactor?: number;
  /** ...and at least this many seconds more (default 5): short tests jitter. */
  slowerMinSeconds?: number;
}

const failed = (s: TestStatus | undefined) => s === "fail" || s === "error";

export function compareRuns(a: RunSummary, b: RunSummary, options: CompareOptions = {}): RunComparison {
  const factor = options.slowerFactor ?? 1.5;
  const minDelta = options.slowerMinSeconds ?? 5;
  const before = new Map<string, TestResult>(a.tests.map((t) => [testKey(t), t]));
  const after = new Map<string, TestResult>(b.tests.map((t) => [testKey(t), t]));
  const out: RunComparison = {
    newFailures: [],
    fixes: [],
    stillFailing: [],
    slower: [],
    onlyInFirst: [],
    onlyInSecond: [],
  };
  for (const [key, t] of after) {
    const old = before.get(key);
    if (!old) out.onlyInSecond.push(key);
    if (failed(t.status) && failed(old?.status)) out.stillFailing.push(key);
    else if (failed(t.status)) out.newFailures.push(key);
    else if (t.status === "pass" && failed(old?.status)) out.fixes.push(key);
    const was = old?.durationSeconds;
    const now = t.durationSeconds;
    if (was !== undefined && now !== undefined && now >= was * factor && now - was >= minDelta)
      out.slower.push({ key, beforeSeconds: was, afterSeconds: now });
  }
  for (const key of before.keys()) if (!after.has(key)) out.onlyInFirst.push(key);
  out.slower.sort((x, y) => y.afterSeconds - y.beforeSeconds - (x.afterSeconds - x.beforeSeconds));
  return out;
}
