// The fstests parser on real published results (kdevops' archives; see
// tests/fixtures/results/fstests/SOURCE.md) and on small written edge cases.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import {
  parseCheckConsole,
  parseCheckLog,
  parseCheckTime,
  parseFstestsDir,
  parseXunit,
} from "../../results/parsers/fstests";
import { countStatuses } from "../../results/summary";
import type { TestResult } from "../../results/types";
import { makeWorkDir, removeWorkDir } from "../support/workdir";
import { fixture } from "./fixtures";

const btrfsRun = fixture("fstests/kdevops-btrfs-next-20230119");
const btrfsHoles = path.join(btrfsRun, "6.2.0-rc4-next-20230119/btrfs_holes");
const tmpfsRun = fixture("fstests/kdevops-tmpfs-6.8.0-rc2");

const ids = (tests: TestResult[], status: string) =>
  tests
    .filter((t) => t.status === status)
    .map((t) => t.id)
    .sort();
const byId = (tests: TestResult[], id: string, section?: string) => {
  const t = tests.find((x) => x.id === id && (section === undefined || x.section === section));
  if (!t) throw new Error(`no result for ${id}`);
  return t;
};

let scratch: string;
beforeAll(() => {
  scratch = makeWorkDir("results-fstests");
});
afterAll(() => removeWorkDir(scratch));

describe("fstests: kdevops btrfs run (6.2.0-rc4-next-20230119, fstests of January 2023)", () => {
  const tests = parseFstestsDir(btrfsRun);
  const holes = tests.filter((t) => t.section === "btrfs_holes");
  const holesLog = parseCheckLog(readFileSync(path.join(btrfsHoles, "check.log"), "utf8"));

  test("the section's check.log summary: 967 ran, 212 not run, 19 failures", () => {
    expect(holesLog?.ran).toHaveLength(967);
    expect(holesLog?.notRun).toHaveLength(212);
    expect(holesLog?.failures).toHaveLength(19);
    expect(holesLog?.verdict).toBe("Failed 19 of 967 tests");
  });

  test("result.xml gives every test of the section, agreeing with check.log", () => {
    expect(holes).toHaveLength(967);
    expect(countStatuses(holes)).toEqual({ pass: 736, fail: 19, skip: 212, notrun: 0, error: 0 });
    expect(ids(holes, "fail")).toEqual([...(holesLog?.failures ?? [])].sort());
    expect(ids(holes, "skip")).toEqual([...(holesLog?.notRun ?? [])].sort());
  });

  test("durations, skip reasons and failure excerpts come from the xunit testcases", () => {
    expect(byId(holes, "btrfs/001").durationSeconds).toBe(3);
    expect(byId(holes, "btrfs/010").durationSeconds).toBe(193);
    expect(byId(holes, "btrfs/075")).toMatchObject({
      status: "skip",
      excerpt: "Require selinux to be enabled",
    });
    const b002 = byId(holes, "btrfs/002");
    expect(b002.status).toBe("fail");
    expect(b002.excerpt).toContain("- output mismatch (see ");
    expect(b002.excerpt).toContain("-Silence is golden");
    // That fstests escaped the CDATA text (&quot;); the excerpt has the diff's own quotes back.
    expect(b002.excerpt).toContain(`systemd-run --quiet --unit "\${unit}" --scope "\${cmd[@]}"`);
    expect(Buffer.byteLength(b002.excerpt ?? "")).toBeLessThanOrEqual(4096);
  });

  test("a section with no summary (the run stopped) still reports the failures its files show", () => {
    const noholes = tests.filter((t) => t.section === "btrfs_noholes");
    expect(noholes.map((t) => [t.id, t.status])).toEqual([["btrfs/053", "fail"]]);
    const outBad = readFileSync(
      path.join(btrfsRun, "6.2.0-rc4-next-20230119/btrfs_noholes/btrfs/053.out.bad"),
      "utf8",
    );
    expect(noholes[0]?.excerpt).toContain("no check.log summary or result.xml");
    expect(noholes[0]?.excerpt).toContain(outBad.split("\n")[0]);
  });

  test("the top-level check.log (every section's summary) is not read as a section of its own", () => {
    expect(new Set(tests.map((t) => t.section))).toEqual(new Set(["btrfs_holes", "btrfs_noholes"]));
  });

  test("without result.xml, check.log, check.time and the .out.bad files give the same verdicts", () => {
    const copy = path.join(scratch, "no-xunit");
    cpSync(btrfsRun, copy, { recursive: true });
    rmSync(path.join(copy, "6.2.0-rc4-next-20230119/btrfs_holes/result.xml"));
    const fromLog = parseFstestsDir(copy).filter((t) => t.section === "btrfs_holes");
    expect(countStatuses(fromLog)).toEqual(countStatuses(holes));
    expect(ids(fromLog, "fail")).toEqual(ids(holes, "fail"));
    const times = parseCheckTime(readFileSync(path.join(btrfsHoles, "check.time"), "utf8"));
    expect(byId(fromLog, "btrfs/001").durationSeconds).toBe(times.get("btrfs/001"));
    // .out.bad is the test's output itself (result.xml carried the diff against the golden output).
    expect(byId(fromLog, "btrfs/002").excerpt).toContain("QA output created by 002\n./check: line 651:");
  });
});

describe("fstests: kdevops tmpfs run (6.8.0-rc2, fstests of 2024 with <kernel-log>)", () => {
  const tests = parseFstestsDir(tmpfsRun);

  test("the section is named by result.xml and the counts match its header", () => {
    const xml = readFileSync(path.join(tmpfsRun, "6.8.0-rc2/tmpfs_default/result.xml"), "utf8");
    const header = /failures="(\d+)" skipped="(\d+)" tests="(\d+)"/.exec(xml);
    expect(new Set(tests.map((t) => t.section))).toEqual(new Set(["tmpfs_default"]));
    expect(tests).toHaveLength(Number(header?.[3]));
    expect(countStatuses(tests).fail).toBe(Number(header?.[1]));
    expect(countStatuses(tests).skip).toBe(Number(header?.[2]));
    expect(ids(tests, "fail")).toEqual([
      "generic/080",
      "generic/126",
      "generic/193",
      "generic/551",
      "generic/732",
    ]);
  });

  test("a failure's excerpt holds the message and the kernel log", () => {
    const t = byId(tests, "generic/080");
    expect(t.excerpt).toContain("generic/080.out.bad");
    expect(t.excerpt).toContain("run fstests generic/080 at 2024-02-01 23:49:16");
    expect(byId(tests, "generic/001").durationSeconds).toBe(14);
  });
});

describe("fstests: ceph console output (fstests of November 2021)", () => {
  const out = readFileSync(fixture("fstests/ceph-console-5.16.0-rc1/ceph.exlude.txt"), "utf8");
  const [section] = parseCheckConsole(out);
  const tests = section?.tests ?? [];
  const summary = parseCheckLog(out);

  test("every test line: 93 passes, 4 failures, 260 not run, 1 expunged; the summary agrees", () => {
    expect(section?.section).toBeUndefined();
    expect(countStatuses(tests)).toEqual({ pass: 93, fail: 4, skip: 260, notrun: 1, error: 0 });
    expect(ids(tests, "fail")).toEqual(summary?.failures);
    expect(ids(tests, "skip")).toEqual(summary?.notRun);
    expect(summary?.verdict).toBe("Failed 4 of 97 tests");
  });

  test("durations, reasons and diffs", () => {
    expect(byId(tests, "generic/014").durationSeconds).toBe(349);
    expect(byId(tests, "generic/003")).toEqual({ id: "generic/003", status: "notrun", excerpt: "expunged" });
    expect(byId(tests, "generic/018").excerpt).toBe('defragmentation not supported for fstype "ceph"');
    const g258 = byId(tests, "generic/258").excerpt ?? "";
    expect(g258.split("\n").slice(0, 2)).toEqual([
      "[failed, exit status 1] - output mismatch (see /data/xfstests/results//generic/258.out.bad)",
      "--- tests/generic/258.out\t2021-11-04 10:18:47.807404176 +0800",
    ]);
    expect(g258).toContain("+Timestamp wrapped: 0");
    expect(byId(tests, "generic/062").excerpt).toContain('+user.name=""');
  });
});

describe("fstests: written edge cases", () => {
  test("check.log: the newest block counts; Kernel version, Passed all, Interrupted", () => {
    const log = [
      "",
      "Kernel version: 6.1.0",
      "Mon Jan  1 00:00:00 UTC 2024",
      "Ran: generic/001 generic/002",
      "Failures: generic/002",
      "Failed 1 of 2 tests",
      "",
      "Kernel version: 6.9.0-rc1",
      "Tue Jan  2 00:00:00 UTC 2024",
      "Ran: generic/001 generic/002 generic/003",
      "Not run: generic/003",
      "Passed all 3 tests",
      "",
    ].join("\n");
    expect(parseCheckLog(log)).toEqual({
      kernelRelease: "6.9.0-rc1",
      ran: ["generic/001", "generic/002", "generic/003"],
      notRun: ["generic/003"],
      failures: [],
      interrupted: false,
      verdict: "Passed all 3 tests",
    });
    const cut = parseCheckLog(
      "\nWed Jan  3 00:00:00 UTC 2024\nRan: xfs/001\nInterrupted!\nFailures: xfs/001\nFailed 1 of 1 tests\n",
    );
    expect(cut).toMatchObject({ interrupted: true, failures: ["xfs/001"] });
    expect(parseCheckLog("nothing here\n")).toBeUndefined();
  });

  test("a non-sectioned results folder: tests have no section; .notrun gives the reason", () => {
    const dir = path.join(scratch, "nosections");
    mkdirSync(path.join(dir, "generic"), { recursive: true });
    writeFileSync(
      path.join(dir, "check.log"),
      "\nKernel version: 6.9.0\nThu Jan  4 00:00:00 UTC 2024\nRan: generic/001 generic/002 generic/003\nNot run: generic/002\nFailures: generic/003\nFailed 1 of 3 tests\n",
    );
    writeFileSync(path.join(dir, "check.time"), "generic/001 7\ngeneric/003 2\n");
    writeFileSync(path.join(dir, "generic/002.notrun"), "xfs_io falloc failed (old kernel/wrong fs?)\n");
    writeFileSync(path.join(dir, "generic/003.out.bad"), "QA output created by 003\n+unexpected line\n");
    expect(parseFstestsDir(dir)).toEqual([
      { id: "generic/001", status: "pass", durationSeconds: 7 },
      { id: "generic/002", status: "skip", excerpt: "xfs_io falloc failed (old kernel/wrong fs?)" },
      { id: "generic/003", status: "fail", excerpt: "QA output created by 003\n+unexpected line" },
    ]);
  });

  test("xunit: check -L reruns make one result; <skipped/> without a message is an excluded test", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="xfstests" failures="1" skipped="1" tests="3" time="9" hostname="h">
	<properties>
		<property name="SECTION" value="-no-sections-"/>
	</properties>
	<testcase classname="xfstests.global" name="generic/001" time="2">
		<failure message="- output mismatch (see results/generic/001.out.bad)" type="TestFail" />
	</testcase>
	<testcase classname="xfstests.global" name="generic/001" time="3">
	</testcase>
	<testcase classname="xfstests.global" name="generic/002" time="0">
		<skipped/>
	</testcase>
	<testcase classname="xfstests.global" name="generic/003" time="4">
	</testcase>
</testsuite>`;
    const parsed = parseXunit(xml);
    expect(parsed.section).toBeUndefined();
    expect(parsed.tests).toEqual([
      {
        id: "generic/001",
        status: "fail",
        durationSeconds: 2,
        excerpt: "1 of 2 runs failed (check -L)\n- output mismatch (see results/generic/001.out.bad)",
      },
      { id: "generic/002", status: "notrun", durationSeconds: 0 },
      { id: "generic/003", status: "pass", durationSeconds: 4 },
    ]);
    expect(() => parseXunit("<html></html>")).toThrow("no <testsuite>");
  });

  test("console: results per test, the diff as excerpt, and the test that never finished", () => {
    const out = [
      "SECTION       -- xfs_crc",
      "RECREATING    -- xfs on /dev/vdb",
      "FSTYP         -- xfs (non-debug)",
      "",
      "generic/001 33s ...  34s",
      "generic/002       5s",
      "generic/003       [expunged]",
      "generic/004\t [not run] xfs_io flink failed (old kernel/wrong fs?)",
      "generic/005 2s ... - output mismatch (see /results/xfs_crc/generic/005.out.bad)",
      "    --- tests/generic/005.out",
      "    +++ /results/xfs_crc/generic/005.out.bad",
      "    -Silence is golden",
      "generic/006 3s ... _check_dmesg: something found in dmesg (see /results/xfs_crc/generic/006.dmesg)",
      "generic/007 12s ... ",
    ].join("\n");
    const [section] = parseCheckConsole(out);
    expect(section?.section).toBe("xfs_crc");
    expect(section?.tests).toEqual([
      { id: "generic/001", status: "pass", section: "xfs_crc", durationSeconds: 34 },
      { id: "generic/002", status: "pass", section: "xfs_crc", durationSeconds: 5 },
      { id: "generic/003", status: "notrun", section: "xfs_crc", excerpt: "expunged" },
      {
        id: "generic/004",
        status: "skip",
        section: "xfs_crc",
        excerpt: "xfs_io flink failed (old kernel/wrong fs?)",
      },
      {
        id: "generic/005",
        status: "fail",
        section: "xfs_crc",
        excerpt:
          "- output mismatch (see /results/xfs_crc/generic/005.out.bad)\n--- tests/generic/005.out\n+++ /results/xfs_crc/generic/005.out.bad\n-Silence is golden",
      },
      {
        id: "generic/006",
        status: "fail",
        section: "xfs_crc",
        excerpt: "_check_dmesg: something found in dmesg (see /results/xfs_crc/generic/006.dmesg)",
      },
      {
        id: "generic/007",
        status: "error",
        section: "xfs_crc",
        excerpt: "no result: the run ended while this test was running",
      },
    ]);
  });

  test("the console fills what the files lack: expunged tests and the unfinished one", () => {
    const dir = path.join(scratch, "with-console");
    mkdirSync(path.join(dir, "xfs_crc/generic"), { recursive: true });
    writeFileSync(path.join(dir, "check.log"), "");
    writeFileSync(
      path.join(dir, "xfs_crc/result.xml"),
      `<testsuite name="xfstests" failures="0" skipped="0" tests="1" time="1">
<properties><property name="SECTION" value="xfs_crc"/></properties>
<testcase classname="xfstests.xfs_crc" name="generic/001" time="1"></testcase>
</testsuite>`,
    );
    const console =
      "SECTION       -- xfs_crc\ngeneric/001       1s\ngeneric/002       [expunged]\ngeneric/003 9s ... \n";
    expect(parseFstestsDir(dir, { console }).map((t) => [t.section, t.id, t.status])).toEqual([
      ["xfs_crc", "generic/001", "pass"],
      ["xfs_crc", "generic/002", "notrun"],
      ["xfs_crc", "generic/003", "error"],
    ]);
  });
});
