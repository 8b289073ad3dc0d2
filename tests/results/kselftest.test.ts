// The kselftest TAP parser on the kernel test robot's real log (tests/fixtures/results/kselftest/
// SOURCE.md) and on run_kselftest.sh output forms the log does not show (TIMEOUT, KTAP indentation,
// a run cut off mid-program).
import { parseKselftestDir, parseKselftestTap } from "../../results/parsers/kselftest";
import { fixture } from "./fixtures";

describe("kselftest", () => {
  test("LKP's make run_tests log: one result per program, make and gcc lines ignored", () => {
    const tests = parseKselftestDir(fixture("kselftest/lkp-dc8df6e85d-group-s"));
    expect(tests.map((t) => [t.id, t.status])).toEqual([
      ["sgx:test_sgx", "skip"],
      ["sigaltstack:sas", "fail"],
      ["size:get_size", "pass"],
      ["splice:default_file_splice_read.sh", "pass"],
      ["splice:short_splice_read.sh", "fail"],
      ["static_keys:test_static_keys.sh", "pass"],
      ["sync:sync_test", "pass"],
    ]);
    const byId = new Map(tests.map((t) => [t.id, t]));
    // The reason of a skip is the program's own nested "1..0 # SKIP <reason>".
    expect(byId.get("sgx:test_sgx")?.excerpt).toBe("cannot load enclaves");
    expect(byId.get("sigaltstack:sas")?.excerpt).toBe("exit=139\nSegmentation fault");
    const splice = byId.get("splice:short_splice_read.sh")?.excerpt ?? "";
    expect(splice.startsWith("exit=1\n")).toBe(true);
    expect(splice).toContain("FAIL: /proc/10442/comm 2");
    expect(splice.endsWith("ok: /sys/module/test_module/sections/.init.text 2")).toBe(true);
  });

  test("run_kselftest.sh forms: TIMEOUT, not ok # SKIP, XFAIL, failing KTAP subtests", () => {
    const tap = [
      "TAP version 13",
      "1..5",
      "# timeout set to 45",
      "# selftests: net: udpgso.sh",
      "# ok 1 ipv4",
      "not ok 1 selftests: net: udpgso.sh # TIMEOUT 45 seconds",
      "# timeout set to 45",
      "# selftests: timers: rtcpie",
      "# Default RTC /dev/rtc0 does not exist. Test Skipped!",
      "not ok 2 selftests: timers: rtcpie # SKIP",
      "# selftests: lib: prime_numbers.sh",
      "ok 3 selftests: lib: prime_numbers.sh # XFAIL known broken",
      "# selftests: cgroup: test_kmem",
      "    KTAP version 1",
      "    1..3",
      "    ok 1 test_kmem_basic",
      "    not ok 2 test_kmem_memcg_deletion",
      "    ok 3 test_kmem_proc_kpagecgroup # SKIP no kpagecgroup",
      "not ok 4 selftests: cgroup: test_kmem # exit=1",
      "# selftests: kvm: dirty_log_test",
      "# ==== Test Assertion Failure ====",
    ].join("\n");
    expect(parseKselftestTap(tap)).toEqual([
      { id: "net:udpgso.sh", status: "error", excerpt: "TIMEOUT 45 seconds\nok 1 ipv4" },
      { id: "timers:rtcpie", status: "skip", excerpt: undefined },
      { id: "lib:prime_numbers.sh", status: "pass" },
      {
        id: "cgroup:test_kmem",
        status: "fail",
        excerpt:
          "exit=1\nnot ok 2 test_kmem_memcg_deletion\n    KTAP version 1\n    1..3\n    ok 1 test_kmem_basic\n    not ok 2 test_kmem_memcg_deletion\n    ok 3 test_kmem_proc_kpagecgroup # SKIP no kpagecgroup",
      },
      {
        id: "kvm:dirty_log_test",
        status: "error",
        excerpt: "no result: the run ended while this program was running\n==== Test Assertion Failure ====",
      },
    ]);
  });

  test("the console is used when raw/ holds no TAP file", () => {
    const console = "TAP version 13\n1..1\n# selftests: size: get_size\nok 1 selftests: size: get_size\n";
    expect(parseKselftestDir(fixture("ltp"), { console })).toEqual([{ id: "size:get_size", status: "pass" }]);
  });
});
