// fstests (xfstests) results as `./check` leaves them under RESULT_BASE (default `results/`):
//
//   results/check.log, check.time                 every run's summary (all sections), timings
//   results/<section>/check.log, result.xml       per section when the config has sections
//   results/<section>/<group>/<nnn>.out.bad       the test's output when it differed (.full, .dmesg)
//
// Without sections the section files sit in results/ itself. Runners may add a level (kdevops keeps
// `<kernel release>/<section>/...`). The xunit report (`-R xunit`, result.xml) is the richest source
// (per test: time, skipped message, failure message, the diff or dmesg); check.log's last summary
// block is the fallback; a section that has neither (the run was killed early) still yields its
// failures from the .out.bad/.dmesg files. `./check`'s console output, when the runner kept it, adds
// what the files lack: [expunged] tests, not-run reasons, and the test that never finished.
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { XMLParser } from "fast-xml-parser";
import { excerpt, joinExcerpts, readText, seconds } from "../text";
import type { TestResult, TestStatus } from "../types";

/** A test id as fstests writes it: `<group>/<number>` (generic/001, xfs/123, btrfs/002). */
const testIdPattern = /^[a-z0-9_]+\/\d{3}[a-z0-9_-]*$/;

// ---------------------------------------------------------------------------------------------
// result.xml

export interface XunitSection {
  /** The section named by the SECTION property or the classname (`xfstests.<section>`); not "global". */
  section?: string;
  tests: TestResult[];
}

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  textNodeName: "#text",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  isArray: (tag) => tag === "testcase" || tag === "property" || tag === "testsuite",
});

type Node = Record<string, unknown>;

function attr(node: Node, name: string): string | undefined {
  const v = node[`@_${name}`];
  return typeof v === "string" ? v : undefined;
}

function text(node: unknown): string | undefined {
  if (typeof node === "string") return node;
  if (typeof node === "object" && node !== null) {
    const t = (node as Node)["#text"];
    if (typeof t === "string") return t;
  }
  return undefined;
}

/**
 * fstests before March 2023 ran its XML escaping over the text inside CDATA too, so old reports carry
 * `&quot;` where the diff had `"`. Text that has such entities and none of the raw characters they
 * stand for was written that way and is decoded; newer text (escaped for CDATA only) is left alone.
 */
function cdataText(node: unknown): string | undefined {
  const t = text(node);
  if (t === undefined || !/&(quot|apos|lt|gt|amp);/.test(t) || /["'<>]/.test(t)) return t;
  return t.replace(
    /&(quot|apos|lt|gt|amp);/g,
    (_, e: string) => ({ quot: '"', apos: "'", lt: "<", gt: ">", amp: "&" })[e] ?? "",
  );
}

function element(node: Node, name: string): Node | undefined {
  const v = node[name];
  if (v === undefined) return undefined;
  if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Node;
  return { "#text": typeof v === "string" ? v : "" };
}

/** Parse fstests' xunit report. Throws when the text is not a `<testsuite>` document. */
export function parseXunit(xml: string): XunitSection {
  const doc = xmlParser.parse(xml) as Node;
  const suites = doc.testsuite;
  const suite = Array.isArray(suites) ? (suites[0] as Node | undefined) : undefined;
  if (!suite) throw new Error("not an xunit report: no <testsuite> element");
  const props = element(suite, "properties");
  const propList = (props?.property as Node[] | undefined) ?? [];
  const sectionProp = propList.find((p) => attr(p, "name") === "SECTION");
  const cases = (suite.testcase as Node[] | undefined) ?? [];
  const classSection =
    cases.length > 0 ? attr(cases[0] as Node, "classname")?.replace(/^xfstests\./, "") : undefined;
  const raw = attr(sectionProp ?? {}, "value") ?? classSection;
  const section = raw && raw !== "global" && raw !== "-no-sections-" ? raw : undefined;

  // `check -L n` reruns a failed test; every attempt is a <testcase> with the same name.
  const attempts = new Map<string, TestResult[]>();
  for (const tc of cases) {
    const id = attr(tc, "name");
    if (!id) continue;
    const result = xunitCase(tc, id, section);
    attempts.set(id, [...(attempts.get(id) ?? []), result]);
  }
  return { section, tests: [...attempts.values()].map(mergeAttempts) };
}

function xunitCase(tc: Node, id: string, section: string | undefined): TestResult {
  const durationSeconds = seconds(attr(tc, "time"));
  const base: TestResult = { id, status: "pass", ...(durationSeconds !== undefined && { durationSeconds }) };
  if (section) base.section = section;
  const skipped = element(tc, "skipped");
  if (skipped) {
    const message = attr(skipped, "message");
    // A <skipped/> without a message is an expunged (excluded) test or a `-n` listing.
    return message ? { ...base, status: "skip", excerpt: excerpt(message) } : { ...base, status: "notrun" };
  }
  const failure = element(tc, "failure") ?? element(tc, "error");
  if (failure) {
    const status: TestStatus = tc.error !== undefined && tc.failure === undefined ? "error" : "fail";
    // system-err holds the .out.bad diff; kernel-log (newer fstests) or, in older fstests, system-err
    // holds the dmesg. The failure message says which file to look at.
    return {
      ...base,
      status,
      excerpt: joinExcerpts(
        attr(failure, "message"),
        excerpt(cdataText(tc["system-err"]), 30),
        excerpt(cdataText(tc["kernel-log"]), 20),
      ),
    };
  }
  return base;
}

const statusRank: Record<TestStatus, number> = { notrun: 0, skip: 1, pass: 2, fail: 3, error: 4 };

function mergeAttempts(runs: TestResult[]): TestResult {
  const first = runs[0] as TestResult;
  if (runs.length === 1) return first;
  const worst = runs.reduce((a, b) => (statusRank[b.status] > statusRank[a.status] ? b : a));
  const failed = runs.filter((r) => r.status === "fail" || r.status === "error").length;
  const note = `${failed} of ${runs.length} runs failed (check -L)`;
  return { ...worst, durationSeconds: first.durationSeconds, excerpt: joinExcerpts(note, worst.excerpt) };
}

// ---------------------------------------------------------------------------------------------
// check.log, check.time

export interface CheckLogSummary {
  /** `Kernel version:` (newer fstests) when present. */
  kernelRelease?: string;
  ran: string[];
  notRun: string[];
  failures: string[];
  /** "Interrupted!": the run was stopped before the section ended. */
  interrupted: boolean;
  /** The closing line: `Passed all N tests` or `Failed N of M tests`. */
  verdict?: string;
}

/**
 * The last summary block of a check.log. `./check` appends one block per section it finishes
 * (blank line, optional `Kernel version:`, date, Ran/Not run/Failures, verdict), so a log can hold
 * earlier runs too; only the newest counts.
 */
export function parseCheckLog(log: string): CheckLogSummary | undefined {
  const lines = log.replace(/\r\n/g, "\n").split("\n");
  let start = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^Ran: /.test(lines[i] ?? "")) {
      start = i;
      break;
    }
  }
  if (start < 0) return undefined;
  const summary: CheckLogSummary = {
    ran: listAfter(lines[start] ?? ""),
    notRun: [],
    failures: [],
    interrupted: false,
  };
  for (let i = start - 1; i >= Math.max(0, start - 3); i--) {
    const m = /^Kernel version: (\S+)/.exec(lines[i] ?? "");
    if (m?.[1]) summary.kernelRelease = m[1];
  }
  for (const line of lines.slice(start + 1)) {
    if (/^Ran: /.test(line)) break;
    if (line === "Interrupted!") summary.interrupted = true;
    else if (line.startsWith("Not run: ")) summary.notRun = listAfter(line);
    else if (line.startsWith("Failures: ")) summary.failures = listAfter(line);
    else if (/^(Passed all \d+ tests|Failed \d+ of \d+ tests)/.test(line)) {
      summary.verdict = line.trim();
      break;
    }
  }
  return summary;
}

function listAfter(line: string): string[] {
  return line
    .replace(/^[^:]*:/, "")
    .trim()
    .split(/\s+/)
    .filter((t) => t !== "");
}

/** check.time: `<test> <seconds>` per line, the last successful run's time of each test. */
export function parseCheckTime(textValue: string): Map<string, number> {
  const times = new Map<string, number>();
  for (const line of textValue.split("\n")) {
    const m = /^(\S+)\s+(\d+(?:\.\d+)?)\s*$/.exec(line);
    if (m?.[1] && m[2]) times.set(m[1], Number(m[2]));
  }
  return times;
}

// ---------------------------------------------------------------------------------------------
// ./check console output

export interface ConsoleSection {
  /** From `SECTION       -- <name>` (sectioned configs only). */
  section?: string;
  tests: TestResult[];
}

/**
 * `./check`'s console output: per test one line (`generic/001 3s ...  4s`, `generic/003  [expunged]`,
 * `generic/004  [not run] <reason>`, `generic/020 29s ... - output mismatch (see ...)` followed by the
 * indented diff). A test line with no result after it is the test that was running when the output
 * ended: it is reported as an error.
 */
export function parseCheckConsole(output: string): ConsoleSection[] {
  const sections: ConsoleSection[] = [];
  let current: ConsoleSection = { tests: [] };
  let open: { result: TestResult; finished: boolean; detail: string[] } | undefined;
  const close = () => {
    if (!open) return;
    if (!open.finished) {
      // No result after the test's name: the run stopped (or was cut off) while it ran.
      open.result.status = "error";
      open.result.excerpt = "no result: the run ended while this test was running";
    }
    if (open.detail.length > 0)
      open.result.excerpt = joinExcerpts(open.result.excerpt, open.detail.join("\n"));
    current.tests.push(open.result);
    open = undefined;
  };
  for (const rawLine of output.replace(/\r\n/g, "\n").split("\n")) {
    const line = rawLine.replace(/\s+$/, "");
    const sect = /^SECTION\s+--\s+(\S+)/.exec(line);
    if (sect?.[1]) {
      close();
      if (current.tests.length > 0 || current.section !== undefined) sections.push(current);
      current = { section: sect[1] === "-no-sections-" ? undefined : sect[1], tests: [] };
      continue;
    }
    const m = /^(\S+)\s*(.*)$/.exec(line);
    const id = m?.[1];
    if (id && testIdPattern.test(id)) {
      close();
      open = { ...consoleResult(id, m?.[2] ?? "", current.section), detail: [] };
      continue;
    }
    // Indented lines after a failed test are its diff (or the hints fstests prints).
    if (open && open.result.status === "fail" && /^ {4}/.test(line)) {
      open.detail.push(line.slice(4));
      continue;
    }
    if (open && /^(Ran|Not run|Failures|Passed all|Failed \d)/.test(line)) close();
  }
  close();
  if (current.tests.length > 0 || current.section !== undefined) sections.push(current);
  return sections;
}

/** One console test line; `finished` is false when the line holds no result yet. */
function consoleResult(
  id: string,
  rest: string,
  section: string | undefined,
): { result: TestResult; finished: boolean } {
  const r: TestResult = { id, status: "pass" };
  if (section) r.section = section;
  // Before the result check prints the previous run's time ("33s ... ") or blank padding; with -T
  // it prints "[hh:mm:ss]" stamps around the run.
  const outcome = rest
    .replace(/^\d+(?:\.\d+)?s \.\.\.\s*/, "")
    .replace(/\[\d{2}:\d{2}:\d{2}\]\s*/g, "")
    .trim();
  if (outcome === "") return { result: r, finished: false };
  const notRun = /^\[not run\]\s*(.*)$/.exec(outcome);
  if (notRun)
    return { result: { ...r, status: "skip", ...(notRun[1] && { excerpt: notRun[1] }) }, finished: true };
  if (outcome === "[expunged]")
    return { result: { ...r, status: "notrun", excerpt: "expunged" }, finished: true };
  const time = /^(\d+(?:\.\d+)?)s$/.exec(outcome);
  if (time?.[1]) return { result: { ...r, durationSeconds: Number(time[1]) }, finished: true };
  // Anything else is check's failure report: "- output mismatch (see ...)", "[failed, exit status N]",
  // "_check_dmesg: something found in dmesg", "_check_generic_filesystem: ... inconsistent".
  return { result: { ...r, status: "fail", excerpt: outcome }, finished: true };
}

// ---------------------------------------------------------------------------------------------
// The results folder

export interface FstestsOptions {
  /** `./check`'s console output (the runner's log), when kept. */
  console?: string;
}

/** Every test result under an fstests results folder (see the top of this file for the layouts). */
export function parseFstestsDir(rawDir: string, options: FstestsOptions = {}): TestResult[] {
  const dirs = reportDirs(rawDir);
  const bySection = new Map<string, TestResult[]>();
  const key = (s: string | undefined) => s ?? "";
  for (const dir of dirs) {
    const { section, tests } = parseReportDir(dir, rawDir);
    bySection.set(key(section), [...(bySection.get(key(section)) ?? []), ...tests]);
  }
  if (options.console) {
    for (const cs of parseCheckConsole(options.console)) {
      const have = bySection.get(key(cs.section));
      bySection.set(key(cs.section), have ? mergeConsole(have, cs.tests) : cs.tests);
    }
  }
  return [...bySection.values()].flat();
}

/** Files only: fill durations, reasons and missing tests (expunged, unfinished) from the console. */
function mergeConsole(fromFiles: TestResult[], fromConsole: TestResult[]): TestResult[] {
  const byId = new Map(fromFiles.map((t) => [t.id, t]));
  for (const c of fromConsole) {
    const f = byId.get(c.id);
    if (!f) {
      byId.set(c.id, c);
      continue;
    }
    if (f.durationSeconds === undefined && c.durationSeconds !== undefined)
      f.durationSeconds = c.durationSeconds;
    if (f.excerpt === undefined && c.excerpt !== undefined) f.excerpt = c.excerpt;
  }
  return [...byId.values()];
}

interface ReportDir {
  dir: string;
  /** The folder above holds a check.log: this is a section folder of a sectioned config. */
  sectioned: boolean;
}

/**
 * The folders that hold one section's results: those with result.xml, with group folders of test
 * artifacts, or with a check.log and no such folder below. Searched four levels deep.
 */
function reportDirs(rawDir: string): ReportDir[] {
  const found: ReportDir[] = [];
  const walk = (dir: string, depth: number, parentHasLog: boolean) => {
    const entries = safeList(dir);
    const files = new Set(entries.filter((e) => e.isFile).map((e) => e.name));
    const subdirs = entries.filter((e) => e.isDir).map((e) => e.name);
    const hasLog = files.has("check.log");
    const hasArtifacts = subdirs.some((d) => isGroupDir(path.join(dir, d)));
    if (files.has("result.xml") || hasArtifacts) {
      found.push({ dir, sectioned: parentHasLog });
      return;
    }
    const before = found.length;
    if (depth < 4) for (const d of subdirs) walk(path.join(dir, d), depth + 1, hasLog);
    if (hasLog && found.length === before) found.push({ dir, sectioned: parentHasLog });
  };
  walk(rawDir, 0, false);
  return found;
}

function safeList(dir: string): { name: string; isFile: boolean; isDir: boolean }[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .map((e) => ({ name: e.name, isFile: e.isFile(), isDir: e.isDirectory() }))
      .sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return [];
  }
}

/** A group folder (`generic/`, `xfs/`) holds per-test artifacts named `<nnn>.<kind>`. */
function isGroupDir(dir: string): boolean {
  return safeList(dir).some(
    (e) => e.isFile && /^\d{3}[a-z0-9_-]*\.(out\.bad|full|dmesg|notrun)$/.test(e.name),
  );
}

function parseReportDir(report: ReportDir, rawDir: string): { section?: string; tests: TestResult[] } {
  const { dir } = report;
  const dirSection = report.sectioned ? path.basename(dir) : undefined;
  const xml = readText(path.join(dir, "result.xml"));
  if (xml !== undefined) {
    try {
      const parsed = parseXunit(xml);
      if (parsed.tests.length > 0) {
        const section = parsed.section ?? dirSection;
        return {
          section,
          tests: parsed.tests.map((t) => withArtifacts(dir, { ...t, ...(section && { section }) })),
        };
      }
    } catch {
      // A truncated report (the run was killed while fstests rewrote it): fall back to check.log.
    }
  }
  const log = readText(path.join(dir, "check.log"));
  const summary = log !== undefined ? parseCheckLog(log) : undefined;
  if (summary) {
    const times = parseCheckTime(readText(path.join(dir, "check.time")) ?? "");
    const failures = new Set(summary.failures);
    const notRun = new Set(summary.notRun);
    const tests = summary.ran.map((id): TestResult => {
      const t: TestResult = { id, status: failures.has(id) ? "fail" : notRun.has(id) ? "skip" : "pass" };
      if (dirSection) t.section = dirSection;
      const d = times.get(id);
      if (t.status === "pass" && d !== undefined) t.durationSeconds = d;
      if (t.status === "skip") {
        const reason = readText(path.join(dir, `${id}.notrun`));
        if (reason) t.excerpt = excerpt(reason);
      }
      return withArtifacts(dir, t);
    });
    // "Not run" tests are listed in "Ran" too; ones that are not (older fstests) are added.
    for (const id of summary.notRun)
      if (!summary.ran.includes(id))
        tests.push({ id, status: "skip", ...(dirSection && { section: dirSection }) });
    return { section: dirSection, tests };
  }
  // No summary at all: the section did not finish. Its failures still left their files.
  const failed = artifactTests(dir).map((id) =>
    withArtifacts(dir, { id, status: "fail", ...(dirSection && { section: dirSection }) }),
  );
  const note = `no check.log summary or result.xml in ${path.relative(rawDir, dir) || "."}: failures taken from the .out.bad/.dmesg files`;
  return {
    section: dirSection,
    tests: failed.map((t) => ({ ...t, excerpt: joinExcerpts(note, t.excerpt) })),
  };
}

/** Tests that left an .out.bad or .dmesg file in the section folder's group folders. */
function artifactTests(dir: string): string[] {
  const ids = new Set<string>();
  for (const g of safeList(dir).filter((e) => e.isDir)) {
    for (const f of safeList(path.join(dir, g.name))) {
      const m = /^(\d{3}[a-z0-9_-]*)\.(out\.bad|dmesg)$/.exec(f.name);
      if (f.isFile && m?.[1]) ids.add(`${g.name}/${m[1]}`);
    }
  }
  return [...ids].sort();
}

/** A failed test without an excerpt gets one from its .out.bad (or .dmesg) file. */
function withArtifacts(dir: string, t: TestResult): TestResult {
  if ((t.status !== "fail" && t.status !== "error") || t.excerpt?.includes("\n")) return t;
  const outBad = readText(path.join(dir, `${t.id}.out.bad`));
  const dmesg = readText(path.join(dir, `${t.id}.dmesg`));
  const detail = outBad !== undefined ? excerpt(outBad, 30) : excerpt(dmesg, 20);
  return detail ? { ...t, excerpt: joinExcerpts(t.excerpt, detail) } : t;
}
