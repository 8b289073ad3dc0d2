// `nixlab results` as a user runs it: the package's bin (bin/nixlab → dist/results/cli.js, built by
// `npm run build`) in a subprocess, against an archive built from real results (kdevops' tmpfs runs on
// two kernels and a btrfs run).
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { XMLParser } from "fast-xml-parser";
import { runDirFor } from "../../results/archive";
import { type RunMeta, writeRunSummary } from "../../results/summary";
import { repoRoot } from "../support/paths";
import { makeWorkDir, removeWorkDir } from "../support/workdir";
import { fixture } from "./fixtures";

const bin = path.join(repoRoot, "bin/nixlab");

let work: string;
let archive: string;

function nixlab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function addRun(meta: RunMeta, raw: string) {
  const dir = runDirFor(archive, meta);
  mkdirSync(dir, { recursive: true });
  cpSync(fixture(raw), path.join(dir, "raw"), { recursive: true });
  writeRunSummary(dir, meta);
}

const tmpfs = (kernelRelease: string, runId: string, startedAt: string): RunMeta => ({
  suite: "fstests",
  section: "tmpfs_default",
  stack: "lab",
  guest: "tmpfs",
  kernelRelease,
  runId,
  startedAt,
  finishedAt: startedAt,
  outcome: "completed",
});

beforeAll(() => {
  if (!existsSync(path.join(repoRoot, "dist/results/cli.js"))) throw new Error("run `npm run build` first");
  work = makeWorkDir("results-cli");
  archive = path.join(work, "results");
  addRun(tmpfs("6.6.0-rc4", "20231003-1", "2023-10-03T10:00:00Z"), "fstests/kdevops-tmpfs-6.6.0-rc4");
  addRun(tmpfs("6.8.0-rc2", "20240202-1", "2024-02-01T23:43:58Z"), "fstests/kdevops-tmpfs-6.8.0-rc2");
  addRun(
    { ...tmpfs("6.2.0-rc4-next-20230119", "1", "2023-01-26T22:00:00Z"), guest: "btrfs", section: undefined },
    "fstests/kdevops-btrfs-next-20230119",
  );
});
afterAll(() => removeWorkDir(work));

describe("nixlab results", () => {
  test("list: every run, oldest first, from ./results by default; --guest narrows", () => {
    const r = nixlab("results", "list");
    expect(r.code).toBe(0);
    expect(r.out.split("\n").map((l) => l.split(/\s+/)[0])).toEqual([
      "RUN",
      "lab/btrfs/6.2.0-rc4-next-20230119/1",
      "lab/tmpfs/6.6.0-rc4/20231003-1",
      "lab/tmpfs/6.8.0-rc2/20240202-1",
      "",
    ]);
    expect(r.out).toMatch(
      /lab\/tmpfs\/6\.8\.0-rc2\/20240202-1\s+fstests:tmpfs_default\s+completed\s+2024-02-01T23:43:58Z\s+224\s+5\s+489/,
    );
    const json = JSON.parse(
      nixlab("results", "list", "--guest", "btrfs", "--json", "--archive", archive).out,
    );
    expect(json.map((j: { runId: string; counts: unknown }) => [j.runId, j.counts])).toEqual([
      ["1", { pass: 736, fail: 20, skip: 212, notrun: 0, error: 0 }],
    ]);
  });

  test("show: the run's identity and a table of what did not pass; --baseline marks regressions", () => {
    const r = nixlab("results", "show", "20240202-1");
    expect(r.code).toBe(0);
    expect(r.out).toContain("tests     718: 224 pass, 5 fail, 489 skip");
    const failRows = r.out.split("\n").filter((l) => l.startsWith("FAIL"));
    expect(failRows.map((l) => l.split(/\s+/)[2])).toEqual([
      "generic/080",
      "generic/126",
      "generic/193",
      "generic/551",
      "generic/732",
    ]);
    expect(r.out).toContain("224 passed test(s) not listed (--all lists them)");
    expect(
      nixlab("results", "show", "20240202-1", "--all")
        .out.split("\n")
        .filter((l) => l.startsWith("PASS")),
    ).toHaveLength(224);
    const full = nixlab("results", "show", "20240202-1", "--excerpts").out;
    expect(full).toMatch(
      /\n--- tmpfs_default\/generic\/732 \(fail\)\n- output mismatch \(see [^\n]*732\.out\.bad\)\n/,
    );
    expect(full.match(/\n--- tmpfs_default\//g)).toHaveLength(5);
    writeFileSync(
      path.join(work, "known.txt"),
      "generic/080\ngeneric/126 # flaky\ngeneric/193\ngeneric/551\n",
    );
    const b = nixlab("results", "show", "6.8.0-rc2/20240202-1", "--baseline", "known.txt");
    expect(b.out).toContain("baseline  1 regression(s), 0 fix(es), 4 known failure(s)");
    expect(b.out).toMatch(/^FAIL \(new\)\s+tmpfs_default\s+generic\/732/m);
  });

  test("compare two runs, and the newest runs of two kernels on a guest", () => {
    const byRuns = nixlab("results", "compare", "20231003-1", "20240202-1");
    expect(byRuns.code).toBe(0);
    expect(byRuns.out).toContain("1 new failure(s), 0 fix(es), 4 still failing, 6 slower");
    expect(byRuns.out).toContain("New failures in B (1):\n  tmpfs_default/generic/732\n");
    expect(byRuns.out).toMatch(/tmpfs_default\/generic\/416\s+3 min 52 s\s+7 min 48 s\s+x2\.0/);
    const byKernels = nixlab("results", "compare", "--guest", "tmpfs", "--kernels", "6.6.0-rc4,6.8.0-rc2");
    expect(byKernels.out).toBe(byRuns.out);
    const stricter = nixlab(
      "results",
      "compare",
      "20231003-1",
      "20240202-1",
      "--slower-factor",
      "1.9",
      "--slower-min",
      "60",
    );
    expect(stricter.out).toContain("1 new failure(s), 0 fix(es), 4 still failing, 1 slower");
  });

  test("junit: one merged document of the named runs, or of the newest run of each guest", () => {
    const r = nixlab("results", "junit", "--latest", "-o", "out/junit.xml");
    expect(r).toMatchObject({ code: 0, err: "wrote out/junit.xml (2 run(s))\n" });
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(
      readFileSync(path.join(work, "out/junit.xml"), "utf8"),
    );
    expect(doc.testsuites).toMatchObject({ tests: "1686", failures: "25", errors: "0", skipped: "701" });
    const btrfsOnly = nixlab("results", "junit", "--latest", "--guest", "btrfs", "-o", "out/btrfs.xml");
    expect(btrfsOnly.err).toBe("wrote out/btrfs.xml (1 run(s))\n");
    const stdout = nixlab("results", "junit", "20231003-1", "-o", "-");
    expect(
      stdout.out.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="nixlab" tests="717"'),
    ).toBe(true);
  });

  test("html: a self-contained report file", () => {
    const r = nixlab(
      "results",
      "html",
      "20231003-1",
      "20240202-1",
      "-o",
      "report.html",
      "--title",
      "tmpfs 6.6 vs 6.8",
    );
    expect(r.code).toBe(0);
    const html = readFileSync(path.join(work, "report.html"), "utf8");
    expect(html).toContain("<title>tmpfs 6.6 vs 6.8</title>");
    expect(html).toContain('<h2 id="failures">Failures and differences (10)</h2>');
    expect(html).toContain('<svg class="chart"');
    expect(html).not.toMatch(/<script|<link|\ssrc=|\shref=/);
  });

  test("errors: one line naming the problem, exit 2 for the command line, 1 otherwise, no stack trace", () => {
    const cases: [string[], number, string][] = [
      [["results", "frobnicate"], 2, 'nixlab: unknown command "frobnicate"'],
      [["results", "list", "--colour"], 2, "nixlab: Unknown option '--colour'"],
      [["results", "html", "20231003-1"], 2, "nixlab: -o FILE is required"],
      [["results", "compare", "20231003-1"], 2, "nixlab: compare takes two runs"],
      [
        ["results", "compare", "--kernels", "6.6.0-rc4"],
        2,
        'nixlab: --kernels takes two kernel releases, "A,B"',
      ],
      [
        ["results", "compare", "a", "b", "--slower-factor", "fast"],
        2,
        'nixlab: --slower-factor: "fast" is not',
      ],
      [["results", "show", "nope"], 1, `nixlab: no run "nope" in results`],
      [["results", "list", "--archive", "missing"], 1, "nixlab: no results archive at missing"],
      [
        ["results", "compare", "--guest", "tmpfs", "--kernels", "6.6.0-rc4,7.0"],
        1,
        "nixlab: no run of kernel 7.0 on guest tmpfs",
      ],
      [
        ["results", "show", "20231003-1", "--baseline", "none.txt"],
        1,
        "nixlab: baseline none.txt: no such file or folder",
      ],
    ];
    for (const [args, code, message] of cases) {
      const r = nixlab(...args);
      expect({ args, code: r.code, first: r.err.split("\n")[0]?.slice(0, message.length) }).toEqual({
        args,
        code,
        first: message,
      });
      expect(r.err).not.toMatch(/^\s+at /m);
    }
    const broken = runDirFor(archive, tmpfs("6.8.0-rc2", "broken", "2024-03-01T00:00:00Z"));
    mkdirSync(broken, { recursive: true });
    writeFileSync(path.join(broken, "summary.json"), '{"version": 1}');
    const r = nixlab("results", "list");
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `nixlab: ${path.join("results", "lab/tmpfs/6.8.0-rc2/broken/summary.json")}: not a nixlab run summary: suite: Invalid option: expected one of "fstests"|"blktests"|"selftests"|"ltp"|"nfstest"|"pynfs"|"mmtests"\n`,
    );
  });
});
