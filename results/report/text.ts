// Plain-text views of runs for the terminal: the run list, one run's table, a comparison.
import * as path from "node:path";
import type { ArchivedRun } from "../archive";
import type { RunComparison } from "../compare";
import type { BaselineComparison, RunSummary, TestResult, TestStatus } from "../types";

/** Columns padded to their widest cell; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

export function formatSeconds(s: number | undefined): string {
  if (s === undefined) return "";
  if (s < 10) return `${Number(s.toFixed(2))} s`;
  if (s < 120) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  return m < 120 ? `${m} min ${Math.round(s - m * 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A run's name in the archive: stack/guest/kernel/runId. */
export function runName(root: string, run: ArchivedRun): string {
  const rel = path.relative(root, run.dir);
  return rel.startsWith("..") || path.isAbsolute(rel) ? run.dir : rel.split(path.sep).join("/");
}

export function countsText(s: RunSummary): string {
  const c = s.counts;
  const parts = [`${c.pass} pass`, `${c.fail} fail`];
  if (c.error > 0) parts.push(`${c.error} error`);
  parts.push(`${c.skip} skip`);
  if (c.notrun > 0) parts.push(`${c.notrun} not run`);
  return parts.join(", ");
}

export function listText(root: string, runs: readonly ArchivedRun[]): string {
  if (runs.length === 0) return `no runs in ${root}`;
  const rows = runs.map((r) => {
    const s = r.summary;
    return [
      runName(root, r),
      s.suite + (s.section ? `:${s.section}` : ""),
      s.outcome,
      s.startedAt,
      String(s.counts.pass),
      String(s.counts.fail + s.counts.error),
      String(s.counts.skip + s.counts.notrun),
    ];
  });
  return table(["RUN", "SUITE", "OUTCOME", "STARTED", "PASS", "FAIL", "SKIP"], rows);
}

const severity: Record<TestStatus, number> = { error: 0, fail: 1, skip: 2, notrun: 3, pass: 4 };

function firstLine(text: string | undefined, max = 90): string {
  const line = (text ?? "").split("\n")[0] ?? "";
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

export interface ShowOptions {
  /** List passed tests too. */
  all?: boolean;
  /** Print failures' excerpts in full under the table. */
  excerpts?: boolean;
  baseline?: BaselineComparison;
}

/** One run: its identity, counts and a table of its tests (not-passed first). */
export function showText(root: string, run: ArchivedRun, options: ShowOptions = {}): string {
  const s = run.summary;
  const head = [
    `run       ${runName(root, run)}`,
    `suite     ${s.suite}${s.section ? ` (section ${s.section})` : ""}`,
    `guest     ${s.guest} (stack ${s.stack}), kernel ${s.kernelRelease}`,
    `time      ${s.startedAt} .. ${s.finishedAt}, outcome ${s.outcome}`,
    `tests     ${s.tests.length}: ${countsText(s)}`,
  ];
  if (options.baseline) {
    const b = options.baseline;
    head.push(
      `baseline  ${b.regressions.length} regression(s), ${b.fixes.length} fix(es), ${b.knownFailures.length} known failure(s)`,
    );
  }
  const shown = s.tests
    .filter((t) => options.all || t.status !== "pass")
    .sort((a, b) => severity[a.status] - severity[b.status]);
  const sections = new Set(s.tests.map((t) => t.section ?? ""));
  const withSection = sections.size > 1 || !sections.has("");
  const regressions = new Set(options.baseline?.regressions ?? []);
  const key = (t: TestResult) => (t.section ? `${t.section}/${t.id}` : t.id);
  const rows = shown.map((t) => [
    t.status.toUpperCase() + (regressions.has(key(t)) ? " (new)" : ""),
    ...(withSection ? [t.section ?? ""] : []),
    t.id,
    formatSeconds(t.durationSeconds),
    firstLine(t.excerpt),
  ]);
  const out = [head.join("\n"), ""];
  if (rows.length > 0)
    out.push(table(["STATUS", ...(withSection ? ["SECTION"] : []), "TEST", "TIME", "DETAIL"], rows));
  const hidden = s.tests.length - shown.length;
  if (hidden > 0)
    out.push(`${rows.length > 0 ? "\n" : ""}${hidden} passed test(s) not listed (--all lists them)`);
  if (options.excerpts)
    for (const t of shown.filter((x) => x.excerpt && (x.status === "fail" || x.status === "error")))
      out.push(`\n--- ${key(t)} (${t.status})\n${t.excerpt}`);
  return out.join("\n");
}

export function compareText(root: string, a: ArchivedRun, b: ArchivedRun, c: RunComparison): string {
  const list = (title: string, keys: readonly string[]) =>
    keys.length === 0 ? [] : [`${title} (${keys.length}):`, ...keys.map((k) => `  ${k}`), ""];
  const out = [
    `A  ${runName(root, a)}  (kernel ${a.summary.kernelRelease}, ${countsText(a.summary)})`,
    `B  ${runName(root, b)}  (kernel ${b.summary.kernelRelease}, ${countsText(b.summary)})`,
    "",
    `${c.newFailures.length} new failure(s), ${c.fixes.length} fix(es), ${c.stillFailing.length} still failing, ${c.slower.length} slower`,
    "",
    ...list("New failures in B", c.newFailures),
    ...list("Fixed in B", c.fixes),
    ...list("Failing in both", c.stillFailing),
  ];
  if (c.slower.length > 0) {
    out.push(`Slower in B (${c.slower.length}):`);
    out.push(
      table(
        ["  TEST", "A", "B", "CHANGE"],
        c.slower.map((s) => [
          `  ${s.key}`,
          formatSeconds(s.beforeSeconds),
          formatSeconds(s.afterSeconds),
          `x${(s.afterSeconds / Math.max(s.beforeSeconds, 0.001)).toFixed(1)}`,
        ]),
      ),
    );
    out.push("");
  }
  out.push(...list("Only in A", c.onlyInFirst), ...list("Only in B", c.onlyInSecond));
  return out.join("\n").trimEnd();
}
