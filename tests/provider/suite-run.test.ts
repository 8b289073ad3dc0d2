// nixlab:host:SuiteRun's parts that need no guest: the shell halves run here by real shells
// (busybox sh as on the demo guest, bash as on NixOS, dash) against a test runner, and the pure
// logic (runner environment, archive names, host-key pinning, diff, policy, input checks). The
// whole resource runs against a real guest in tests/engine/suite-run.test.ts.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { hostKeyFromKnownHosts, pinnedHostAlias } from "../../provider/host/ssh";
import {
  policyFailure,
  releaseSegment,
  runStamp,
  type SuiteRunState,
  suiteRunInputs,
  suiteRunResource,
} from "../../provider/host/suite-run";
import {
  collectScript,
  optionEnvName,
  probeScript,
  runnerEnv,
  runScript,
  stopScript,
} from "../../provider/host/suite-run-script";
import type { Context } from "../../provider/resource";
import { repoRoot } from "../support/paths";
import { testProvider, urnOf } from "../support/provider-harness";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const runnerDir = path.join(repoRoot, "tests", "fixtures", "suite-runner");
const shells: [string, string[]][] = [
  ["busybox sh", ["busybox", "sh"]],
  ["bash", ["bash"]],
  ["dash", ["dash"]],
];

describe("the shell halves, run by real shells", () => {
  let work: string;
  beforeAll(() => {
    work = makeWorkDir("suite-run-scripts");
  });
  const started: string[] = [];
  afterAll(() => {
    // A run a failed test left behind: end its process group (the pid the run script recorded).
    for (const run of started) {
      const pidFile = path.join(run, "pid");
      if (!existsSync(pidFile)) continue;
      try {
        process.kill(-Number(readFileSync(pidFile, "utf8")), "SIGKILL");
      } catch {
        // already gone
      }
    }
    removeWorkDir(work);
  });

  const sh = (shell: string[], script: string, args: string[], env: Record<string, string> = {}) => {
    const [cmd, ...pre] = shell;
    return execa(cmd as string, [...pre, "-c", script, "sh", ...args], {
      reject: false,
      env: { PATH: `${runnerDir}:${process.env.PATH}`, ...env },
      timeout: 60_000,
    });
  };

  test.each(
    shells,
  )("%s: the probe finds the runner, makes the run folder and prints the kernel release", async (_n, shell) => {
    const run = path.join(work, `probe-${shell[0]}`);
    const r = await sh(shell, probeScript, [run]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe((await execa("uname", ["-r"])).stdout);
    expect(existsSync(path.join(run, "results"))).toBe(true);
    const none = await sh(shell, probeScript, [run], { PATH: "/usr/bin:/bin" });
    expect(none.exitCode).toBe(127);
    expect(none.stderr).toMatch(/^no nixlab-run-suite on root's PATH \(\/usr\/bin:\/bin\)$/);
  });

  test.each(
    shells,
  )("%s: a run passes the environment as arguments, untouched, and keeps the exit status", async (_n, shell) => {
    const run = path.join(work, `run-${shell[0]}`);
    mkdirSync(path.join(run, "results"), { recursive: true });
    const env = runnerEnv({
      suite: "fstests",
      section: "xfs_crc",
      options: { hangAt: "generic/005", note: `it's "quoted" $HOME; \`x\`` },
      testTimeoutSeconds: 60,
      runId: "20261122T001503Z-1",
    });
    const r = await sh(shell, runScript, [run, ...env], { RUNNER_EXIT: "3" });
    expect(r.exitCode).toBe(3);
    expect(r.stdout.split("\n")).toEqual([
      `suite=fstests section=xfs_crc hang=generic/005 quoted=it's "quoted" $HOME; \`x\``,
      `results=${run}/results`,
      "Passed all 1 tests",
    ]);
    expect(readFileSync(path.join(run, "status"), "utf8")).toBe("3\n");
    expect(readFileSync(path.join(run, "results", "sect", "check.log"), "utf8")).toBe("partial\n");
  });

  const waitFor = async (file: string) => {
    for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
  };
  const sleeping = async (seconds: string) =>
    (await execa("pgrep", ["-f", `^sleep ${seconds}$`], { reject: false })).stdout;

  test.each(
    shells,
  )("%s: stop ends the runner's whole process group; it wraps up first", async (_n, shell) => {
    const run = path.join(work, `stop-${shell[0]}`);
    started.push(run);
    mkdirSync(path.join(run, "results"), { recursive: true });
    const running = sh(shell, runScript, [run, "NIXLAB_SUITE=fstests"], { RUNNER_SLEEP: "987" });
    await waitFor(path.join(run, "pid"));
    await new Promise((r) => setTimeout(r, 300));
    expect(await sleeping("987")).not.toBe("");
    const stop = await sh(shell, stopScript, [run, "5"]);
    expect(stop.stdout).toBe("stopped");
    const r = await running;
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/wrapped up$/);
    expect(readFileSync(path.join(run, "results", "sect", "check.log"), "utf8")).toBe(
      "partial\nInterrupted!\n",
    );
    expect(await sleeping("987")).toBe("");
  });

  test.each(shells)("%s: a runner deaf to SIGTERM is killed after the grace time", async (_n, shell) => {
    const run = path.join(work, `kill-${shell[0]}`);
    started.push(run);
    mkdirSync(path.join(run, "results"), { recursive: true });
    const running = sh(shell, runScript, [run, "NIXLAB_SUITE=fstests"], {
      RUNNER_SLEEP: "986",
      RUNNER_IGNORE_TERM: "1",
    });
    await waitFor(path.join(run, "pid"));
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    const stop = await sh(shell, stopScript, [run, "2"]);
    expect(stop.stdout).toBe("killed after 2 s");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
    expect((await running).exitCode).toBe(137);
    expect(await sleeping("986")).toBe("");
    // Stopping a run that has ended is a no-op.
    expect((await sh(shell, stopScript, [run, "2"])).exitCode).toBe(0);
  });

  test("collect streams the results folder as tar", async () => {
    const run = path.join(work, "collect");
    mkdirSync(path.join(run, "results", "sect"), { recursive: true });
    await execa("sh", ["-c", 'echo x > "$1/results/sect/check.log"', "sh", run]);
    const r = await execa("sh", ["-c", `${collectScript} | tar -tf -`, "sh", run]);
    expect(r.stdout.split("\n").sort()).toEqual(["./", "./sect/", "./sect/check.log"]);
  });
});

describe("pure parts", () => {
  test("options become NIXLAB_SUITE_OPT_* variables beside the JSON of all of them", () => {
    expect(optionEnvName("hangAt")).toBe("NIXLAB_SUITE_OPT_HANG_AT");
    expect(optionEnvName("TEST_DEV")).toBe("NIXLAB_SUITE_OPT_TEST_DEV");
    expect(optionEnvName("run-name")).toBe("NIXLAB_SUITE_OPT_RUN_NAME");
    expect(
      runnerEnv({
        suite: "blktests",
        options: { QUICK_RUN: true, TIMEOUT: 30, TEST_DEVS: ["/dev/vdb", "/dev/vdc"] },
        testTimeoutSeconds: 600,
        runId: "r",
      }),
    ).toEqual([
      "NIXLAB_SUITE=blktests",
      "NIXLAB_SUITE_SECTION=",
      'NIXLAB_SUITE_OPTIONS={"QUICK_RUN":true,"TIMEOUT":30,"TEST_DEVS":["/dev/vdb","/dev/vdc"]}',
      "NIXLAB_TEST_TIMEOUT_SECONDS=600",
      "NIXLAB_RUN_ID=r",
      "NIXLAB_SUITE_OPT_QUICK_RUN=1",
      "NIXLAB_SUITE_OPT_TEST_DEVS=/dev/vdb /dev/vdc",
      "NIXLAB_SUITE_OPT_TIMEOUT=30",
    ]);
  });

  test("archive names: a sortable UTC stamp, a kernel release as one folder name", () => {
    expect(runStamp(new Date("2026-11-22T00:15:03.123Z"))).toBe("20261122T001503Z");
    expect(releaseSegment("6.1.0-56-amd64\n")).toBe("6.1.0-56-amd64");
    expect(releaseSegment("6.12.0-rc1+ #3/x")).toBe("6.12.0-rc1+__3_x");
    expect(releaseSegment("")).toBe("unknown");
  });

  test("the pinned key is read back from known_hosts under its alias", () => {
    const text = `other ssh-rsa AAAAB3\n${pinnedHostAlias} ssh-ed25519 AAAAC3Nza\n`;
    expect(hostKeyFromKnownHosts(text)).toBe("ssh-ed25519 AAAAC3Nza");
    expect(hostKeyFromKnownHosts("other ssh-rsa AAAAB3\n")).toBeUndefined();
  });

  const inputs = suiteRunInputs.parse({
    connection: { host: "192.168.122.5", privateKey: "k" },
    guestId: "u1",
    stack: "s",
    guest: "g",
    closure: "/nix/store/00000000000000000000000000000000-system",
    suite: { name: "fstests", section: "xfs_crc" },
    archiveRoot: "/srv/results",
  });
  const state = (over: Partial<SuiteRunState>): SuiteRunState =>
    ({
      ...inputs,
      regressions: [],
      outcome: "completed",
      outcomeReason: "",
      verdict: "g (fstests xfs_crc): no regressions",
      resultsPath: "/srv/results/s/g/k/r",
      ...over,
    }) as SuiteRunState;

  test("policy: report never fails; fail fails on regressions and on a run that did not complete", () => {
    expect(policyFailure(state({ regressions: ["xfs_crc/generic/003"] }))).toBeUndefined();
    expect(policyFailure(state({ policy: "fail" }))).toBeUndefined();
    expect(
      policyFailure(state({ policy: "fail", regressions: ["a"], verdict: "g: 1 regression(s): a" })),
    ).toBe("g: 1 regression(s): a (policy fail; results in /srv/results/s/g/k/r)");
    expect(
      policyFailure(
        state({ policy: "fail", outcome: "timedOut", outcomeReason: "the run exceeded its limit of 8 s" }),
      ),
    ).toBe(
      "g: the run timed out: the run exceeded its limit of 8 s (policy fail; results in /srv/results/s/g/k/r)",
    );
  });

  test("diff: a change is an update, never a replacement; unchanged inputs in another key order are no change", async () => {
    const ctx = {} as Context;
    const olds = state({});
    const same = suiteRunInputs.parse({
      ...inputs,
      suite: { section: "xfs_crc", name: "fstests", options: {} },
    });
    expect(await suiteRunResource.diff(ctx, "s/g", olds, same)).toEqual({
      changes: false,
      replaces: [],
      updates: [],
    });
    for (const [change, key] of [
      [{ runId: "2" }, "runId"],
      [{ policy: "fail" }, "policy"],
      [{ connection: { ...olds.connection, host: "10.0.0.9" } }, "connection"],
    ] as const) {
      const news = suiteRunInputs.parse({ ...inputs, ...change });
      expect(await suiteRunResource.diff(ctx, "s/g", olds, news)).toEqual({
        changes: true,
        replaces: [],
        updates: [key],
      });
    }
  });
});

describe("inputs are checked before anything runs", () => {
  test("bad inputs fail naming the property", async () => {
    const { provider } = testProvider();
    const r = await provider.check(
      urnOf("nixlab:host:SuiteRun", "g"),
      {},
      {
        connection: { host: "bad host!" },
        guestId: "u",
        stack: "s",
        guest: "../g",
        closure: "/nix/store/x",
        suite: { name: "fstests", section: "a/b", options: { "bad key": 1 } },
        runId: "two words",
        archiveRoot: "results",
        policy: "maybe",
      },
    );
    expect(r.failures?.map((f) => f.property).sort()).toEqual([
      "archiveRoot",
      "connection.host",
      "guest",
      "policy",
      "runId",
      "suite.options.bad key",
      "suite.section",
    ]);
  });
});
