// The results archive on the machine running Pulumi:
//
//   <root>/<stack>/<guest>/<kernel release>/<run id>/raw/           the suite's files, untouched
//                                                  /summary.json    RunSummary
//                                                  /runner.log      the runner's console log
import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { parseSummary } from "./summary";
import { readText } from "./text";
import { archiveLayout, type RunSummary } from "./types";

/** Where a run sits in the archive. */
export interface RunRef {
  stack: string;
  guest: string;
  kernelRelease: string;
  runId: string;
}

export interface ArchivedRun {
  /** The run's folder. */
  dir: string;
  summary: RunSummary;
}

const refKeys = ["stack", "guest", "kernelRelease", "runId"] as const;

/** The run's folder; each part must be one plain path segment (no "/", not "." or ".."). */
export function runDirFor(root: string, ref: RunRef): string {
  for (const key of refKeys) {
    const v = ref[key];
    if (v === "" || v === "." || v === ".." || /[/\\\0]/.test(v))
      throw new Error(`${key} ${JSON.stringify(v)} cannot name an archive folder (one path segment, no "/")`);
  }
  return path.join(root, ref.stack, ref.guest, ref.kernelRelease, ref.runId);
}

/** Read one run folder's summary.json. */
export function loadRun(dir: string): ArchivedRun {
  const file = path.join(dir, archiveLayout.summary);
  const text = readText(file);
  if (text === undefined)
    throw new Error(
      `${dir}: no ${archiveLayout.summary} (not a run folder, or its run was never summarised)`,
    );
  return { dir, summary: parseSummary(text, file) };
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

export type RunFilter = Partial<RunRef>;

/**
 * Every summarised run under the archive root, oldest first (by start time), narrowed by `filter`.
 * Folders that are not runs (no summary.json four levels down) are passed over.
 */
export function listRuns(root: string, filter: RunFilter = {}): ArchivedRun[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`no results archive at ${root}`);
  const runs: ArchivedRun[] = [];
  const pick = (name: string, want: string | undefined) => want === undefined || want === name;
  for (const stack of subdirs(root).filter((s) => pick(s, filter.stack)))
    for (const guest of subdirs(path.join(root, stack)).filter((g) => pick(g, filter.guest)))
      for (const kernel of subdirs(path.join(root, stack, guest)).filter((k) =>
        pick(k, filter.kernelRelease),
      ))
        for (const runId of subdirs(path.join(root, stack, guest, kernel)).filter((r) =>
          pick(r, filter.runId),
        )) {
          const dir = path.join(root, stack, guest, kernel, runId);
          if (existsSync(path.join(dir, archiveLayout.summary))) runs.push(loadRun(dir));
        }
  return runs.sort(
    (a, b) => a.summary.startedAt.localeCompare(b.summary.startedAt) || a.dir.localeCompare(b.dir),
  );
}

/**
 * A run named on the command line: a path to its folder (or its summary.json), its place in the
 * archive (`stack/guest/kernel/runId`, or any trailing part of it), or a run id — as long as exactly
 * one run matches.
 */
export function findRun(root: string, spec: string): ArchivedRun {
  for (const candidate of [spec, path.join(root, spec)]) {
    const dir = path.basename(candidate) === archiveLayout.summary ? path.dirname(candidate) : candidate;
    if (existsSync(path.join(dir, archiveLayout.summary))) return loadRun(dir);
  }
  const parts = spec.split("/").filter((p) => p !== "");
  const matches = listRuns(root).filter((r) => {
    const rel = path.relative(root, r.dir).split(path.sep);
    return (
      parts.length > 0 &&
      parts.length <= rel.length &&
      parts.every((p, i) => rel[rel.length - parts.length + i] === p)
    );
  });
  if (matches.length === 1) return matches[0] as ArchivedRun;
  if (matches.length === 0) throw new Error(`no run "${spec}" in ${root} (see \`nixlab results list\`)`);
  const names = matches.map((m) => path.relative(root, m.dir)).join(", ");
  throw new Error(`"${spec}" matches ${matches.length} runs (${names}): name it as stack/guest/kernel/runId`);
}

/** The newest run of one kernel release on a guest. */
export function latestRun(
  root: string,
  filter: RunFilter & { guest: string; kernelRelease: string },
): ArchivedRun {
  const runs = listRuns(root, filter);
  const last = runs[runs.length - 1];
  if (!last) {
    const where = filter.stack ? `${filter.stack}/${filter.guest}` : filter.guest;
    throw new Error(`no run of kernel ${filter.kernelRelease} on guest ${where} in ${root}`);
  }
  return last;
}
