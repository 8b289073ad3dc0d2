// Kernel selftests' TAP/KTAP, as run_kselftest.sh and `make kselftest` print it:
//
//   TAP version 13
//   1..2
//   # timeout set to 45
//   # selftests: net: udpgso.sh            <- the program starts; its own output follows, "# "-prefixed
//   # TAP version 13                       <- a program that speaks KTAP nests its subtests here
//   # ok 1 subtest                           (or indented by 4 spaces, as KTAP v1 nests them)
//   ok 1 selftests: net: udpgso.sh         <- the program's result
//   not ok 2 selftests: net: x # TIMEOUT 45 seconds
//   ok 3 selftests: net: y # SKIP
//
// `make kselftest` prints one such stream per collection, numbering from 1 each time; other lines
// (make, compiler, kernel messages) are skipped. One result per program: id `<collection>:<program>`;
// a failing program's excerpt holds its failing subtests and the last lines it printed.
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { excerpt, joinExcerpts, readText } from "../text";
import type { TestResult, TestStatus } from "../types";

/** A top-level result line: `ok N <description> [# directive]`. */
const resultLine = /^(not ok|ok)\s+\d+\s+(?:-\s+)?(.*?)(?:\s+#\s*(.*))?$/;
/** The kselftest runner's announcement of a program. */
const startLine = /^#\s+selftests:\s+(\S+):\s+(\S+)\s*$/;

interface Running {
  id: string;
  output: string[];
}

/** Parse one TAP text (several concatenated streams are fine). */
export function parseKselftestTap(tap: string): TestResult[] {
  const results = new Map<string, TestResult>();
  let running: Running | undefined;
  for (const raw of tap.replace(/\r\n/g, "\n").split("\n")) {
    const line = raw.replace(/\s+$/, "");
    const start = startLine.exec(line);
    if (start?.[1] && start[2]) {
      if (running) results.set(running.id, unfinished(running));
      running = { id: `${start[1]}:${start[2]}`, output: [] };
      continue;
    }
    const top = resultLine.exec(line);
    if (top?.[1] && top[2] !== undefined) {
      const id = programId(top[2]) ?? running?.id ?? top[2].trim();
      const output = running && running.id === id ? running.output : [];
      results.set(id, resultOf(id, top[1] === "ok", top[3], output));
      running = undefined;
      continue;
    }
    // The program's own output: "# "-prefixed (kselftest runner) or indented (KTAP subtests).
    if (running && (line.startsWith("#") || /^\s{2,}\S/.test(line)))
      running.output.push(line.replace(/^#\s?/, ""));
  }
  if (running) results.set(running.id, unfinished(running));
  return [...results.values()];
}

/** `selftests: net: udpgso.sh` → `net:udpgso.sh`; other descriptions have no program id. */
function programId(description: string): string | undefined {
  const m = /^selftests:\s+(\S+):\s+(\S+)$/.exec(description.trim());
  return m?.[1] && m[2] ? `${m[1]}:${m[2]}` : undefined;
}

function resultOf(id: string, ok: boolean, directive: string | undefined, output: string[]): TestResult {
  const d = (directive ?? "").trim();
  let status: TestStatus;
  if (/^skip\b/i.test(d)) status = "skip";
  else if (/^timeout\b/i.test(d)) status = "error";
  else if (ok || /^(todo|xfail)\b/i.test(d)) status = "pass";
  else status = "fail";
  const r: TestResult = { id, status };
  if (status === "skip") {
    const reason = d.replace(/^skip\s*/i, "") || skipReason(output);
    if (reason) r.excerpt = reason;
  } else if (status === "fail" || status === "error") {
    r.excerpt = joinExcerpts(
      d || undefined,
      failingSubtests(output),
      excerpt(output.slice(-15).join("\n"), 15),
    );
  }
  return r;
}

function unfinished(running: Running): TestResult {
  return {
    id: running.id,
    status: "error",
    excerpt: joinExcerpts(
      "no result: the run ended while this program was running",
      excerpt(running.output.slice(-10).join("\n"), 10),
    ),
  };
}

/** A skipped program often says why in a nested plan: `1..0 # SKIP cannot load enclaves`. */
function skipReason(output: string[]): string | undefined {
  for (const l of output) {
    const m = /^\s*1\.\.0\s+#\s*skip\s*(.*)$/i.exec(l);
    if (m) return m[1] || undefined;
  }
  return undefined;
}

/** The nested `not ok` lines, KTAP-indented or "# "-prefixed. */
function failingSubtests(output: string[]): string | undefined {
  const failing = output.filter((l) => /^\s*not ok\s+\d+/.test(l) && !/#\s*(skip|todo|xfail)\b/i.test(l));
  return failing.length > 0 ? excerpt(failing.map((l) => l.trim()).join("\n"), 15) : undefined;
}

/**
 * The results in a raw folder: every `*.tap`, `*.log` or `*.txt` file holding TAP result lines
 * (run_kselftest.sh's output as the runner saved it); without one, the runner's console log.
 */
export function parseKselftestDir(rawDir: string, options: { console?: string } = {}): TestResult[] {
  const results = new Map<string, TestResult>();
  for (const file of tapFiles(rawDir)) {
    for (const r of parseKselftestTap(readText(file) ?? "")) results.set(r.id, r);
  }
  if (results.size === 0 && options.console)
    for (const r of parseKselftestTap(options.console)) results.set(r.id, r);
  return [...results.values()];
}

function tapFiles(dir: string, depth = 0): string[] {
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory() && depth < 3) files.push(...tapFiles(full, depth + 1));
    else if (e.isFile() && /\.(tap|log|txt)$/.test(e.name) && /^(not )?ok \d+ /m.test(readText(full) ?? ""))
      files.push(full);
  }
  return files;
}
