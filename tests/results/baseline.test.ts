// Baselines: kdevops' real expunge lists (tests/fixtures/results/baselines/SOURCE.md) against real
// results, inline lists, and the policy verdict SuiteRun shows in `pulumi up`.
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import {
  applyPolicy,
  compareWithBaseline,
  loadBaseline,
  parseBaselineText,
} from "../../suite-results/baseline";
import { parseBlktestsDir } from "../../suite-results/parsers/blktests";
import { parseFstestsDir } from "../../suite-results/parsers/fstests";
import { summarise } from "../../suite-results/summary";
import type { RunSummary, TestResult } from "../../suite-results/types";
import { makeWorkDir, removeWorkDir } from "../support/workdir";
import { fixture } from "./fixtures";

const meta = {
  suite: "fstests" as const,
  stack: "s",
  guest: "g",
  kernelRelease: "6.2.0-rc4-next-20230119",
  runId: "1",
  startedAt: "2023-01-26T22:00:00Z",
  finishedAt: "2023-01-27T01:24:28Z",
  outcome: "completed" as const,
};
const run = (tests: TestResult[]): RunSummary => summarise(meta, tests);

let scratch: string;
beforeAll(() => {
  scratch = makeWorkDir("results-baseline");
});
afterAll(() => removeWorkDir(scratch));

describe("baseline files", () => {
  test("kdevops' expunge format: one id a line, # comments, reasons kept", () => {
    const file = fixture("baselines/kdevops-btrfs-6.0.0-rc1-next-20220816/all.txt");
    const b = loadBaseline({ path: file });
    expect(b.all.size).toBe(38);
    expect(b.all.get("btrfs/029")).toBe("lazy baseline - failure found in at least two sections");
    expect(b.all.get("btrfs/099")).toBe("");
    expect(b.sections.size).toBe(0);
  });

  test("long reasons with URLs stay whole", () => {
    const b = loadBaseline({ path: fixture("baselines/kdevops-xfs-5.10.131-all.txt") });
    expect(b.all.size).toBe(77);
    expect(b.all.get("generic/531")).toMatch(
      /^failure rate is 1\/5 hung task \[1\] .* \[2\] deferred inode inactivation: https:\/\/lore\.kernel\.org\/r\//,
    );
  });

  test("a kdevops folder: all.txt for every section, <section>.txt for its own", () => {
    const b = loadBaseline({ path: fixture("baselines/kdevops-btrfs-6.0.0-rc1-next-20220816") });
    expect([...b.sections.keys()]).toEqual(["btrfs_noraid56", "btrfs_simple", "btrfs_simple_zns"]);
    expect(b.sections.get("btrfs_noraid56")?.get("generic/118")).toBe("failure rate is about 1/15");
    expect([...(b.sections.get("btrfs_simple")?.keys() ?? [])]).toEqual(["btrfs/049"]);
    expect(b.all.size).toBe(38);
  });

  test("a reason may follow the id without a #; bad lines are named", () => {
    expect([
      ...parseBaselineText("xfs/242 flaky, fails 1 in 2000\n\n  # only a comment\ngeneric/001", "f"),
    ]).toEqual([
      ["xfs/242", "flaky, fails 1 in 2000"],
      ["generic/001", ""],
    ]);
    expect(() => parseBaselineText("generic/001\n<bad>\n", "list.txt")).toThrow(
      'list.txt:2: "<bad>" is not a test id',
    );
    expect(() => loadBaseline({ path: "no/such/file" }, scratch)).toThrow(
      "baseline no/such/file: no such file or folder",
    );
  });

  test("a relative path is taken from the base folder", () => {
    writeFileSync(path.join(scratch, "known.txt"), "generic/475 # flaky\n");
    expect([...loadBaseline({ path: "known.txt" }, scratch).all.keys()]).toEqual(["generic/475"]);
  });
});

describe("compareWithBaseline", () => {
  test("real btrfs results against kdevops' btrfs baseline", () => {
    const tests = parseFstestsDir(fixture("fstests/kdevops-btrfs-next-20230119")).filter(
      (t) => t.section === "btrfs_holes",
    );
    const b = loadBaseline({ path: fixture("baselines/kdevops-btrfs-6.0.0-rc1-next-20220816") });
    const c = compareWithBaseline(run(tests), b);
    const inSection = (ids: string[]) => ids.map((id) => `btrfs_holes/${id}`);
    expect(c.knownFailures).toEqual(
      inSection(
        ["btrfs/197", "btrfs/219", "btrfs/220", "btrfs/249", "btrfs/254"].concat([
          "generic/633",
          "generic/644",
          "generic/645",
          "generic/673",
          "shared/298",
        ]),
      ),
    );
    expect(c.regressions).toEqual(
      inSection(
        ["btrfs/002", "btrfs/053", "btrfs/177", "generic/297", "generic/683", "generic/684"].concat([
          "generic/685",
          "generic/689",
          "generic/696",
        ]),
      ),
    );
    // Every baseline entry that ran and passed; generic/241 was skipped ("not run"), so it is no fix.
    expect(c.fixes).toHaveLength(27);
    expect(c.fixes).toContain("btrfs_holes/btrfs/011");
    expect(c.fixes).not.toContain("btrfs_holes/generic/241");
  });

  test("real blktests failures against kdevops' failures.txt for the same kernel: all known", () => {
    const tests = parseBlktestsDir(fixture("blktests/kdevops-6.1.0-rc8-next-20221207"));
    const b = loadBaseline({
      path: fixture("baselines/kdevops-blktests-6.1.0-rc8-next-20221207-failures.txt"),
    });
    const c = compareWithBaseline(summarise({ ...meta, suite: "blktests" }, tests), b);
    expect(c).toEqual({
      regressions: [],
      fixes: [],
      knownFailures: [
        "nodev/nvme/002",
        "nodev/nvme/016",
        "nodev/nvme/017",
        "nvme2n1/block/011",
        "nvme2n1/block/012",
        "nvme2n1/block/019",
      ],
    });
  });

  test("inline lists, per section; errors count as failures; skipped known failures are neither", () => {
    const tests: TestResult[] = [
      { id: "generic/001", status: "fail", section: "a" },
      { id: "generic/001", status: "pass", section: "b" },
      { id: "generic/002", status: "error", section: "a" },
      { id: "generic/003", status: "skip", section: "a" },
      { id: "generic/004", status: "pass", section: "a" },
    ];
    const b = loadBaseline({ all: ["generic/001"], sections: { a: ["generic/003", "generic/004"] } });
    expect(compareWithBaseline(run(tests), b)).toEqual({
      regressions: ["a/generic/002"],
      fixes: ["a/generic/004", "b/generic/001"],
      knownFailures: ["a/generic/001"],
    });
    const flat = loadBaseline({ entries: ["generic/002"] });
    expect(compareWithBaseline(run(tests), flat).regressions).toEqual(["a/generic/001"]);
  });
});

describe("policy", () => {
  const c = { regressions: ["generic/002"], fixes: ["generic/004"], knownFailures: ["generic/001"] };
  test("report never fails the update; fail does when there are regressions", () => {
    expect(applyPolicy(c, "report", "guest fs1")).toEqual({
      fail: false,
      message: "guest fs1: 1 regression(s): generic/002; 1 known failure(s) now pass: generic/004",
    });
    expect(applyPolicy(c, "fail", "guest fs1").fail).toBe(true);
    expect(applyPolicy({ ...c, regressions: [] }, "fail", "guest fs1")).toEqual({
      fail: false,
      message: "guest fs1: no regressions (1 known failure(s)); 1 known failure(s) now pass: generic/004",
    });
  });
});
