// The blktests parser on kdevops' real result folders (tests/fixtures/results/blktests/SOURCE.md) and
// on pass / not-run files written the way blktests' check writes them.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseBlktestsDir, parseResultFile } from "../../suite-results/parsers/blktests";
import { makeWorkDir, removeWorkDir } from "../support/workdir";
import { fixture } from "./fixtures";

let scratch: string;
beforeAll(() => {
  scratch = makeWorkDir("results-blktests");
});
afterAll(() => removeWorkDir(scratch));

describe("blktests", () => {
  test("a result file is key<TAB>value lines", () => {
    const text = readFileSync(fixture("blktests/kdevops-6.1.0-rc8-next-20221207/nvme2n1/block/012"), "utf8");
    expect(parseResultFile(text)).toEqual({
      runtime: "0.033s",
      description: "check that a read-only block device fails writes",
      exit_status: "0",
      reason: "output",
      date: "2022-12-20 20:47:49",
      status: "fail",
    });
  });

  test("kdevops 6.1.0-rc8-next-20221207: the device folder is the section, runtime the duration", () => {
    const tests = parseBlktestsDir(fixture("blktests/kdevops-6.1.0-rc8-next-20221207"));
    expect(tests.map((t) => [t.section, t.id, t.status, t.durationSeconds])).toEqual([
      ["nodev", "nvme/002", "fail", 44.074],
      ["nodev", "nvme/016", "fail", 21.799],
      ["nodev", "nvme/017", "fail", 24.61],
      ["nvme2n1", "block/011", "fail", 185.691],
      ["nvme2n1", "block/012", "fail", 0.033],
      ["nvme2n1", "block/019", "fail", 15.023],
    ]);
    const outBad = readFileSync(
      fixture("blktests/kdevops-6.1.0-rc8-next-20221207/nvme2n1/block/012.out.bad"),
      "utf8",
    );
    expect(tests[4]?.excerpt).toBe(`failed: output\n${outBad.trimEnd()}`);
    // nvme/002.out.bad is 80 KB: the excerpt keeps its first 40 lines and says it was cut.
    const big = tests[0]?.excerpt ?? "";
    expect(big.startsWith("failed: output\nRunning nvme/002\n")).toBe(true);
    expect(big.endsWith("\n...")).toBe(true);
    expect(Buffer.byteLength(big)).toBeLessThanOrEqual(4096);
  });

  test("kdevops 5.10.0-1-amd64: a dmesg failure shows the kernel messages", () => {
    const tests = parseBlktestsDir(fixture("blktests/kdevops-5.10.0-1-amd64"));
    expect(tests.map((t) => `${t.section}/${t.id}`)).toEqual([
      "nodev/meta/005",
      "nodev/meta/006",
      "nodev/meta/009",
      "nodev/scsi/004",
      "nvme2n1/block/011",
      "nvme2n1/block/012",
    ]);
    const dmesg = readFileSync(fixture("blktests/kdevops-5.10.0-1-amd64/nodev/meta/009.dmesg"), "utf8");
    // Its first 30 lines (the oops header), marked as cut.
    expect(tests[2]?.excerpt).toBe(`failed: dmesg\n${dmesg.split("\n").slice(0, 30).join("\n")}\n...`);
  });

  test("pass, not run and exit failures, a device with a condition, under a kernel folder", () => {
    const dir = path.join(scratch, "results/6.9.0/nullb0_tr_loop/zbd");
    mkdirSync(dir, { recursive: true });
    // Field order is bash's associative-array order: any order must do.
    writeFileSync(
      path.join(dir, "001"),
      "date\t2024-05-01 10:00:00\nstatus\tpass\nruntime\t2.5s\ndescription\tx\n",
    );
    writeFileSync(path.join(dir, "002"), "status\tnot run\ndate\t2024-05-01 10:00:03\ndescription\ty\n");
    writeFileSync(path.join(dir, "003"), "status\tfail\nreason\texit\nexit_status\t3\nruntime\t0.1s\n");
    writeFileSync(path.join(dir, "003.full"), "not a result file\n");
    expect(parseBlktestsDir(path.join(scratch, "results"))).toEqual([
      { id: "zbd/001", status: "pass", section: "nullb0_tr_loop", durationSeconds: 2.5 },
      { id: "zbd/002", status: "skip", section: "nullb0_tr_loop" },
      {
        id: "zbd/003",
        status: "fail",
        section: "nullb0_tr_loop",
        durationSeconds: 0.1,
        excerpt: "failed: exit\nexited with status 3",
      },
    ]);
  });
});
