// The summary writer and the archive: a run folder built from real fstests results is summarised
// into summary.json, listed, found by name, and compared with another run.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { findRun, latestRun, listRuns, loadRun, runDirFor } from "../../suite-results/archive";
import { compareRuns } from "../../suite-results/compare";
import { hasParser, parseRawResults } from "../../suite-results/parsers";
import { type RunMeta, summarise, writeRunSummary } from "../../suite-results/summary";
import type { RunSummary } from "../../suite-results/types";
import { makeWorkDir, removeWorkDir } from "../support/workdir";
import { fixture } from "./fixtures";

const meta = (over: Partial<RunMeta> = {}): RunMeta => ({
  suite: "fstests",
  section: "btrfs_holes",
  stack: "lab",
  guest: "btrfs",
  kernelRelease: "6.2.0-rc4-next-20230119",
  runId: "r1",
  startedAt: "2023-01-26T22:00:00Z",
  finishedAt: "2023-01-27T01:24:28Z",
  outcome: "completed",
  ...over,
});

let root: string;
beforeAll(() => {
  root = path.join(makeWorkDir("results-archive"), "results");
});
afterAll(() => removeWorkDir(path.dirname(root)));

function archive(m: RunMeta, rawFrom: string, runnerLog?: string): RunSummary {
  const dir = runDirFor(root, m);
  mkdirSync(dir, { recursive: true });
  cpSync(rawFrom, path.join(dir, "raw"), { recursive: true });
  if (runnerLog !== undefined) writeFileSync(path.join(dir, "runner.log"), runnerLog);
  return writeRunSummary(dir, m);
}

describe("summary.json", () => {
  test("written next to raw/, with counts, sorted tests and the run's identity", () => {
    const s = archive(meta(), fixture("fstests/kdevops-btrfs-next-20230119"));
    const dir = runDirFor(root, meta());
    const onDisk = JSON.parse(readFileSync(path.join(dir, "summary.json"), "utf8")) as RunSummary;
    expect(onDisk).toEqual(s);
    expect(onDisk).toMatchObject({
      version: 1,
      stack: "lab",
      guest: "btrfs",
      runId: "r1",
      outcome: "completed",
    });
    expect(onDisk.counts).toEqual({ pass: 736, fail: 20, skip: 212, notrun: 0, error: 0 });
    expect(onDisk.tests.slice(0, 2).map((t) => `${t.section}/${t.id}`)).toEqual([
      "btrfs_holes/btrfs/001",
      "btrfs_holes/btrfs/002",
    ]);
    // The raw files are copied, not changed.
    expect(readFileSync(path.join(dir, "raw/6.2.0-rc4-next-20230119/btrfs_holes/check.log"))).toEqual(
      readFileSync(
        fixture("fstests/kdevops-btrfs-next-20230119/6.2.0-rc4-next-20230119/btrfs_holes/check.log"),
      ),
    );
  });

  test("runner.log (check's console) is read: a timed-out run records the unfinished test", () => {
    const m = meta({ runId: "r2-timeout", outcome: "timedOut", startedAt: "2023-01-28T00:00:00Z" });
    const s = archive(
      m,
      fixture("fstests/kdevops-tmpfs-6.8.0-rc2"),
      "SECTION       -- tmpfs_default\ngeneric/999 5s ... \n",
    );
    expect(s.outcome).toBe("timedOut");
    expect(s.tests.find((t) => t.id === "generic/999")).toEqual({
      id: "generic/999",
      status: "error",
      section: "tmpfs_default",
      excerpt: "no result: the run ended while this test was running",
    });
    expect(s.counts.error).toBe(1);
  });

  test("a suite without a parser is refused by name; a run folder without raw/ too", () => {
    expect(hasParser("mmtests")).toBe(false);
    expect(() => parseRawResults("mmtests", root)).toThrow('suite "mmtests": nixlab has no results parser');
    const dir = runDirFor(root, meta({ runId: "empty" }));
    mkdirSync(dir, { recursive: true });
    expect(() => writeRunSummary(dir, meta({ runId: "empty" }))).toThrow("no raw/ folder");
  });

  test("archive folder names must be single path segments", () => {
    expect(() => runDirFor(root, meta({ guest: "../x" }))).toThrow(
      'guest "../x" cannot name an archive folder',
    );
    expect(() => runDirFor(root, meta({ runId: "" }))).toThrow('runId "" cannot name an archive folder');
  });
});

describe("archive", () => {
  test("listRuns: oldest first, filtered; loadRun checks the file", () => {
    expect(listRuns(root).map((r) => r.summary.runId)).toEqual(["r1", "r2-timeout"]);
    expect(listRuns(root, { guest: "nope" })).toEqual([]);
    const bad = runDirFor(root, meta({ runId: "bad" }));
    mkdirSync(bad, { recursive: true });
    writeFileSync(path.join(bad, "summary.json"), JSON.stringify({ version: 1, suite: "fstests" }));
    expect(() => loadRun(bad)).toThrow("summary.json: not a nixlab run summary: stack:");
    writeFileSync(path.join(bad, "summary.json"), "{");
    expect(() => listRuns(root)).toThrow("summary.json: not JSON");
    writeFileSync(
      path.join(bad, "summary.json"),
      JSON.stringify(summarise(meta({ runId: "bad", startedAt: "2020-01-01T00:00:00Z" }), [])),
    );
    expect(listRuns(root).map((r) => r.summary.runId)).toEqual(["bad", "r1", "r2-timeout"]);
  });

  test("findRun: by id, by trailing path, by folder; ambiguity and absence are explained", () => {
    expect(findRun(root, "r1").summary.runId).toBe("r1");
    expect(findRun(root, "6.2.0-rc4-next-20230119/r1").summary.runId).toBe("r1");
    expect(findRun(root, runDirFor(root, meta())).summary.runId).toBe("r1");
    expect(findRun(root, "lab/btrfs/6.2.0-rc4-next-20230119/r1/summary.json").summary.runId).toBe("r1");
    expect(() => findRun(root, "nope")).toThrow(`no run "nope" in ${root}`);
    // The same run id on another guest makes the bare id ambiguous; the longer name is not.
    const other = runDirFor(root, meta({ guest: "xfs" }));
    mkdirSync(other, { recursive: true });
    writeFileSync(path.join(other, "summary.json"), JSON.stringify(summarise(meta({ guest: "xfs" }), [])));
    expect(() => findRun(root, "r1")).toThrow(
      '"r1" matches 2 runs (lab/btrfs/6.2.0-rc4-next-20230119/r1, lab/xfs/',
    );
    expect(findRun(root, "xfs/6.2.0-rc4-next-20230119/r1").summary.guest).toBe("xfs");
    expect(() => listRuns(path.join(root, "missing"))).toThrow("no results archive at");
  });

  test("latestRun: the newest run of a kernel on a guest", () => {
    expect(latestRun(root, { guest: "btrfs", kernelRelease: "6.2.0-rc4-next-20230119" }).summary.runId).toBe(
      "r2-timeout",
    );
    expect(() => latestRun(root, { guest: "btrfs", kernelRelease: "6.9" })).toThrow(
      "no run of kernel 6.9 on guest btrfs",
    );
  });
});

describe("compareRuns", () => {
  test("new failures, fixes, slower tests (factor and minimum), tests in one run only", () => {
    const a = summarise(meta(), [
      { id: "t/1", status: "pass", durationSeconds: 10 },
      { id: "t/2", status: "fail" },
      { id: "t/3", status: "pass", durationSeconds: 2 },
      { id: "t/4", status: "fail" },
      { id: "t/5", status: "pass", durationSeconds: 100 },
      { id: "t/6", status: "pass" },
    ]);
    const b = summarise(meta(), [
      { id: "t/1", status: "fail", durationSeconds: 30 },
      { id: "t/2", status: "pass" },
      { id: "t/3", status: "pass", durationSeconds: 5 },
      { id: "t/4", status: "error" },
      { id: "t/5", status: "pass", durationSeconds: 160 },
      { id: "t/7", status: "fail" },
    ]);
    expect(compareRuns(a, b)).toEqual({
      newFailures: ["t/1", "t/7"],
      fixes: ["t/2"],
      stillFailing: ["t/4"],
      // t/3 is 2.5x slower but only 3 s: below the 5 s minimum.
      slower: [
        { key: "t/5", beforeSeconds: 100, afterSeconds: 160 },
        { key: "t/1", beforeSeconds: 10, afterSeconds: 30 },
      ],
      onlyInFirst: ["t/6"],
      onlyInSecond: ["t/7"],
    });
    expect(compareRuns(a, b, { slowerFactor: 2, slowerMinSeconds: 1 }).slower.map((s) => s.key)).toEqual([
      "t/1",
      "t/3",
    ]);
  });
});
