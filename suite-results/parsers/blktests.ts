// blktests results as `./check` leaves them under its output folder (default `results/`):
//
//   results/<device or nodev>[_<condition>]/<group>/<nnn>        key<TAB>value lines: status, reason,
//                                                               runtime, exit_status, date, description
//   results/<device>/<group>/<nnn>.out.bad, .full, .dmesg       the output when it differed, the log,
//                                                               the kernel messages when dmesg failed it
//
// status is `pass`, `fail` or `not run`; reason (for fail) is `output`, `exit` or `dmesg`. Runners may
// add a level above (kdevops keeps `<kernel release>/<device>/...`). The device folder becomes the
// test's section, so block/012 on nvme0n1 and on nodev are two results.
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { excerpt, joinExcerpts, readText, seconds } from "../text";
import type { TestResult, TestStatus } from "../types";

/** A blktests result file's fields. */
export function parseResultFile(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const tab = line.indexOf("\t");
    if (tab <= 0) continue;
    fields[line.slice(0, tab)] = line.slice(tab + 1).trim();
  }
  return fields;
}

function statusOf(value: string | undefined): TestStatus | undefined {
  switch (value) {
    case "pass":
      return "pass";
    case "fail":
      return "fail";
    case "not run":
      return "skip";
    default:
      return undefined;
  }
}

/** Every result file under the folder (searched four levels deep), one TestResult each. */
export function parseBlktestsDir(rawDir: string): TestResult[] {
  const results: TestResult[] = [];
  const walk = (dir: string, depth: number) => {
    for (const e of list(dir)) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (depth < 4) walk(full, depth + 1);
        continue;
      }
      if (!e.isFile() || !/^\d{3}$/.test(e.name)) continue;
      const fields = parseResultFile(readText(full) ?? "");
      const status = statusOf(fields.status);
      if (!status) continue;
      const group = path.basename(dir);
      const section = path.basename(path.dirname(dir));
      results.push(resultOf(full, `${group}/${e.name}`, section, status, fields));
    }
  };
  walk(rawDir, 0);
  return results.sort((a, b) => (a.section ?? "").localeCompare(b.section ?? "") || a.id.localeCompare(b.id));
}

function list(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function resultOf(
  file: string,
  id: string,
  section: string,
  status: TestStatus,
  fields: Record<string, string>,
): TestResult {
  const r: TestResult = { id, status, section };
  const duration = seconds(fields.runtime);
  if (duration !== undefined) r.durationSeconds = duration;
  if (status !== "fail") return r;
  let detail: string | undefined;
  switch (fields.reason) {
    case "output":
      detail = excerpt(readText(`${file}.out.bad`), 30);
      break;
    case "dmesg":
      detail = excerpt(readText(`${file}.dmesg`), 30);
      break;
    case "exit":
      detail = `exited with status ${fields.exit_status ?? "?"}`;
      break;
  }
  r.excerpt = joinExcerpts(fields.reason ? `failed: ${fields.reason}` : "failed", detail);
  return r;
}
