// The LTP parsers on real reports (tests/fixtures/results/ltp/SOURCE.md): runltp's results log and
// kirk's JSON.
import { readFileSync } from "node:fs";
import { parseKirkJson, parseLtpDir, parseRunltpLog } from "../../results/parsers/ltp";
import { countStatuses } from "../../results/summary";
import { fixture } from "./fixtures";

describe("LTP", () => {
  test("runltp -l log: PASS, FAIL and CONF rows; counts agree with its footer", () => {
    const text = readFileSync(fixture("ltp/runltp-mm-5.6.0-rc4/results.log"), "utf8");
    const tests = parseRunltpLog(text);
    const footer = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(text)?.[1]);
    expect(tests).toHaveLength(footer("Total Tests"));
    expect(countStatuses(tests)).toEqual({
      pass: 64,
      fail: footer("Total Failures"),
      skip: footer("Total Skipped Tests"),
      notrun: 0,
      error: 0,
    });
    expect(tests.filter((t) => t.status === "fail")).toEqual([
      { id: "ksm01", status: "fail", excerpt: "FAIL, exit value 2" },
      { id: "ksm01_1", status: "fail", excerpt: "FAIL, exit value 1" },
    ]);
    expect(tests.find((t) => t.id === "oom02")).toEqual({
      id: "oom02",
      status: "skip",
      excerpt: "CONF, exit value 32",
    });
    expect(parseLtpDir(fixture("ltp/runltp-mm-5.6.0-rc4"))).toEqual(tests);
  });

  test("kirk JSON: durations, and a failure's excerpt made of its TFAIL lines", () => {
    const tests = parseKirkJson(readFileSync(fixture("ltp/kirk-lkp-fs-00/results.json"), "utf8"));
    expect(tests.map((t) => t.id)).toEqual([
      "gf15",
      "gf17",
      "gf20",
      "gf25",
      "rwtest01",
      "rwtest04",
      "inode01",
      "inode02",
      "stream01",
      "stream05",
      "lftest01",
      "proc01",
      "read_all_dev",
    ]);
    expect(countStatuses(tests)).toEqual({ pass: 12, fail: 1, skip: 0, notrun: 0, error: 0 });
    expect(tests[1]?.durationSeconds).toBe(120.33628177642822);
    const proc01 = tests.find((t) => t.id === "proc01");
    const lines = (proc01?.excerpt ?? "").split("\n");
    expect(lines[0]).toBe("fail, exit value 1");
    expect(lines[1]).toBe(
      "proc01      1  TFAIL  :  proc01.c:400: read failed: /proc/sys/net/ipv4/neigh/default/anycast_delay: errno=EINVAL(22): Invalid argument",
    );
    // 22 TFAIL lines: the first 15 and a cut mark.
    expect(lines).toHaveLength(1 + 15 + 1);
    expect(parseLtpDir(fixture("ltp/kirk-lkp-fs-00"))).toEqual(tests);
  });

  test("kirk's brok, warn and conf; not a kirk report", () => {
    const doc = {
      results: ["brok", "warn", "conf"].map((status, i) => ({
        test_fqn: `t${i}`,
        status,
        test: { duration: 1, log: `x.c:1: T${status.toUpperCase()}: why\n`, retval: ["2"] },
      })),
    };
    expect(parseKirkJson(JSON.stringify(doc)).map((t) => [t.id, t.status, t.excerpt])).toEqual([
      ["t0", "error", "brok, exit value 2\nx.c:1: TBROK: why"],
      ["t1", "fail", "warn, exit value 2\nx.c:1: TWARN: why"],
      ["t2", "skip", "conf, exit value 2\nx.c:1: TCONF: why"],
    ]);
    expect(() => parseKirkJson('{"stats": {}}')).toThrow('not a kirk report: no "results" array');
  });
});
