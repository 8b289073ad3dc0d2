// Baselines: the failures a suite is known to have on a setup (kdevops' expunge lists), so that a
// run's regressions are the failures that are not known, and its fixes the known ones that now pass.
//
// File format (kdevops' expunge files): one test id per line; `#` starts a comment; anything after
// the id on its line is the reason.
//
//   generic/475            # lazy baseline - fails in at least two sections
//   xfs/242 flaky, fails about 1 in 2000 runs
//
// A baseline applies to every section, or to one: a folder holds `all.txt` (every section) and
// `<section>.txt` files, as kdevops' expunges/<kernel>/<fs>/unassigned/ folders do.
import { readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { testKey } from "./summary";
import { readText } from "./text";
import type { BaselineComparison, RunSummary } from "./types";

/** What a run with regressions does to `pulumi up`: report them, or fail the update. */
export type BaselinePolicy = "report" | "fail";

export const baselinePolicies: readonly BaselinePolicy[] = ["report", "fail"];

/** Known failures: test id → reason (empty when none was given). */
export type KnownFailures = Map<string, string>;

export interface Baseline {
  /** Applies to every section. */
  all: KnownFailures;
  /** Applies to one section each. */
  sections: Map<string, KnownFailures>;
  /** Where it came from, for messages. */
  source: string;
}

/** Where a baseline comes from: a file or kdevops-style folder, or lists given inline (stack config). */
export type BaselineSource =
  | { path: string }
  | { entries: readonly string[] }
  | { all?: readonly string[]; sections: Readonly<Record<string, readonly string[]>> };

/** Parse one baseline file's text. Throws naming the line when an entry is not a test id. */
export function parseBaselineText(text: string, source: string): KnownFailures {
  const known: KnownFailures = new Map();
  text.split("\n").forEach((raw, i) => {
    const hash = raw.indexOf("#");
    const body = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    const comment = hash >= 0 ? raw.slice(hash + 1).trim() : "";
    if (body === "") return;
    const [id, ...rest] = body.split(/\s+/);
    if (!id || !/^[\w.+:/-]+$/.test(id))
      throw new Error(`${source}:${i + 1}: ${JSON.stringify(body)} is not a test id`);
    known.set(id, [rest.join(" "), comment].filter((s) => s !== "").join(" # "));
  });
  return known;
}

function fromList(list: readonly string[], source: string): KnownFailures {
  return parseBaselineText(list.join("\n"), source);
}

/** Load a baseline; a relative path is taken from `baseDir` (the repository or project folder). */
export function loadBaseline(src: BaselineSource, baseDir = process.cwd()): Baseline {
  if ("path" in src) {
    const file = path.resolve(baseDir, src.path);
    let isDir: boolean;
    try {
      isDir = statSync(file).isDirectory();
    } catch {
      throw new Error(`baseline ${src.path}: no such file or folder (looked at ${file})`);
    }
    if (!isDir)
      return { all: parseBaselineText(readText(file) ?? "", file), sections: new Map(), source: file };
    const files = readdirSync(file)
      .filter((f) => f.endsWith(".txt"))
      .sort();
    if (files.length === 0)
      throw new Error(`baseline ${src.path}: the folder holds no .txt lists (all.txt, <section>.txt)`);
    const sections = new Map<string, KnownFailures>();
    let all: KnownFailures = new Map();
    for (const f of files) {
      const known = parseBaselineText(readText(path.join(file, f)) ?? "", path.join(file, f));
      if (f === "all.txt") all = known;
      else sections.set(f.replace(/\.txt$/, ""), known);
    }
    return { all, sections, source: file };
  }
  if ("entries" in src)
    return { all: fromList(src.entries, "baseline entries"), sections: new Map(), source: "inline list" };
  const sections = new Map(
    Object.entries(src.sections).map(([s, list]) => [s, fromList(list, `baseline sections.${s}`)] as const),
  );
  return { all: fromList(src.all ?? [], "baseline all"), sections, source: "inline lists" };
}

/** The known failures for tests of one section (or of none). */
export function knownFailuresFor(baseline: Baseline, section: string | undefined): KnownFailures {
  const own = section !== undefined ? baseline.sections.get(section) : undefined;
  return own ? new Map([...baseline.all, ...own]) : baseline.all;
}

/**
 * Regressions: tests that failed (fail/error) and are not known failures. Fixes: known failures
 * that ran and passed. Known failures: failed as expected. Names are `<section>/<id>` or the id.
 * A known failure that was skipped or did not run is none of these.
 */
export function compareWithBaseline(summary: RunSummary, baseline: Baseline): BaselineComparison {
  const regressions: string[] = [];
  const fixes: string[] = [];
  const knownFailures: string[] = [];
  for (const t of summary.tests) {
    const known = knownFailuresFor(baseline, t.section).has(t.id);
    const failed = t.status === "fail" || t.status === "error";
    if (failed && known) knownFailures.push(testKey(t));
    else if (failed) regressions.push(testKey(t));
    else if (known && t.status === "pass") fixes.push(testKey(t));
  }
  return { regressions, fixes, knownFailures };
}

export interface PolicyVerdict {
  /** True when the policy says the update must fail. */
  fail: boolean;
  message: string;
}

/** What a comparison means under a policy, in one line a user reads in `pulumi up`'s output. */
export function applyPolicy(c: BaselineComparison, policy: BaselinePolicy, where: string): PolicyVerdict {
  const n = c.regressions.length;
  const list = c.regressions.slice(0, 10).join(", ") + (n > 10 ? `, and ${n - 10} more` : "");
  const fixes =
    c.fixes.length > 0
      ? `; ${c.fixes.length} known failure(s) now pass: ${c.fixes.slice(0, 10).join(", ")}`
      : "";
  if (n === 0)
    return {
      fail: false,
      message: `${where}: no regressions (${c.knownFailures.length} known failure(s))${fixes}`,
    };
  return {
    fail: policy === "fail",
    message: `${where}: ${n} regression(s): ${list}${fixes}`,
  };
}
