// LTP results, from either runner:
//
// - kirk (`kirk -o results.json`): {"results": [{"test_fqn", "status", "test": {"duration", "log",
//   "retval", "failed", "passed", "broken", "skipped", "warnings"}}], "stats", "environment"}; status is
//   pass, fail, brok, warn or conf.
// - runltp's results log (`-l FILE`, by default results/LTP_RUN_ON-<date>.log): a table
//       Testcase                                           Result     Exit Value
//       --------                                           ------     ----------
//       mm01                                               PASS       0
//   then "Total Tests:", "Total Skipped Tests:", "Total Failures:". Result is PASS, FAIL or CONF
//   (a configuration the test cannot run in); newer runltp also writes BROK and WARN.
//
// Mapping: pass→pass, fail/warn→fail, brok→error (the test broke before deciding), conf→skip.
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { excerpt, joinExcerpts, readText } from "../text";
import type { TestResult, TestStatus } from "../types";

function statusOf(word: string): TestStatus | undefined {
  switch (word.toLowerCase()) {
    case "pass":
      return "pass";
    case "fail":
    case "warn":
      return "fail";
    case "brok":
      return "error";
    case "conf":
      return "skip";
    default:
      return undefined;
  }
}

/** runltp's `-l` results log. */
export function parseRunltpLog(text: string): TestResult[] {
  const results: TestResult[] = [];
  let inTable = false;
  for (const raw of text.replace(/\r\n/g, "\n").split("\n")) {
    const line = raw.replace(/\s+$/, "");
    if (/^Testcase\s+Result\s+Exit Value$/.test(line.trim())) {
      inTable = true;
      continue;
    }
    if (!inTable || /^-+(\s+-+)*$/.test(line.trim()) || line.trim() === "") continue;
    if (/^Total Tests:/.test(line)) break;
    const m = /^(\S+)\s+(PASS|FAIL|CONF|BROK|WARN)\s+(-?\d+)?$/.exec(line.trim());
    if (!m?.[1] || !m[2]) continue;
    const status = statusOf(m[2]) as TestStatus;
    const r: TestResult = { id: m[1], status };
    if (status !== "pass") r.excerpt = `${m[2]}, exit value ${m[3] ?? "?"}`;
    results.push(r);
  }
  return results;
}

interface KirkTest {
  test_fqn?: unknown;
  status?: unknown;
  test?: { duration?: unknown; log?: unknown; retval?: unknown };
}

/** kirk's JSON report. Throws when the text is not one. */
export function parseKirkJson(text: string): TestResult[] {
  const doc = JSON.parse(text) as { results?: unknown };
  if (!Array.isArray(doc.results)) throw new Error('not a kirk report: no "results" array');
  return (doc.results as KirkTest[]).flatMap((entry): TestResult[] => {
    if (typeof entry.test_fqn !== "string" || typeof entry.status !== "string") return [];
    const status = statusOf(entry.status);
    if (!status) return [];
    const r: TestResult = { id: entry.test_fqn, status };
    const duration = entry.test?.duration;
    if (typeof duration === "number" && Number.isFinite(duration)) r.durationSeconds = duration;
    if (status !== "pass") {
      const log = typeof entry.test?.log === "string" ? entry.test.log : "";
      const retval = Array.isArray(entry.test?.retval) ? entry.test.retval.join(",") : undefined;
      r.excerpt = joinExcerpts(
        `${entry.status}${retval !== undefined ? `, exit value ${retval}` : ""}`,
        verdictLines(log) ?? excerpt(log.split("\n").slice(-15).join("\n"), 15),
      );
    }
    return [r];
  });
}

/** The TFAIL/TBROK/TWARN/TCONF lines of an LTP test's log: they say what went wrong. */
function verdictLines(log: string): string | undefined {
  const lines = log.split("\n").filter((l) => /\bT(FAIL|BROK|WARN|CONF)\b/.test(l));
  return lines.length > 0 ? excerpt(lines.join("\n"), 15) : undefined;
}

/**
 * The results in a raw folder: kirk's JSON reports when there are any, else runltp result logs
 * (searched three levels deep).
 */
export function parseLtpDir(rawDir: string): TestResult[] {
  const files = listFiles(rawDir);
  const fromJson: TestResult[] = [];
  for (const f of files.filter((f) => f.endsWith(".json"))) {
    const text = readText(f) ?? "";
    if (!/"test_fqn"/.test(text)) continue;
    fromJson.push(...parseKirkJson(text));
  }
  if (fromJson.length > 0) return fromJson;
  const fromLogs: TestResult[] = [];
  for (const f of files.filter((f) => !f.endsWith(".json"))) {
    const text = readText(f) ?? "";
    if (/^\s*Testcase\s+Result\s+Exit Value\s*$/m.test(text)) fromLogs.push(...parseRunltpLog(text));
  }
  return fromLogs;
}

function listFiles(dir: string, depth = 0): string[] {
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return depth < 3 ? listFiles(full, depth + 1) : [];
    return e.isFile() ? [full] : [];
  });
}
