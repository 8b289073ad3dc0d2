// End to end through the real engine: the demo fixture guest (dropbear over real SSH, the stand-in
// suite that leaves fstests' files) runs its suite from `pulumi up`; the results come home into
// the archive, are summarised and compared with a baseline folder (one known failure, one fix, one
// regression). Then: a no-op up runs nothing, policy fail fails the up without running, a new runId
// runs again, `nixlab results compare` shows the difference, the per-test and per-run limits stop a
// run and `up` returns, and destroy leaves nothing behind but the archive. One guest boot for all.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { execa } from "execa";
import * as yaml from "js-yaml";
import { orphanTempFolders } from "../faults/leaks";
import { systemUri, virsh } from "../support/libvirt";
import { repoRoot, testPrefix } from "../support/paths";
import { type PulumiSandbox, pulumiSandbox } from "../support/pulumi";
import { rootProjectCopy } from "../support/root-project";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const stack = `suiterun-${process.pid}`;
const guestName = `${testPrefix}suite`;

interface SuiteOut {
  outcome: string;
  counts: Record<string, number>;
  regressions: string[];
  fixes: string[];
  resultsPath: string;
}
interface GuestOut {
  ipAddress: string;
  sshCommand: string;
  consoleLog: string;
  closurePath: string;
  suite: SuiteOut;
}

/** The SuiteRun resource's own outputs, from the stack's state. */
interface RunState {
  outcome: string;
  outcomeReason: string;
  archiveRunId: string;
  kernelRelease: string;
  hostKey: string;
  timings: Record<string, number>;
  regressions: string[];
}

// Key folders carry their provider's pid (orphanTempFolders finds those of dead ones, wherever
// they are); the suite's own scratch folders are compared with what was there before.
const tmpEntries = (): string[] => readdirSync(tmpdir()).filter((f) => /^nixlab-suite-/.test(f));

describe("a suite run through the Pulumi engine", () => {
  let work: string;
  let project: string;
  let p: PulumiSandbox;
  let stateDir: string;
  let keyFile: string;
  let stackFile: string;
  let archive: string;
  let tmpBefore: string[];
  const timings: Record<string, number>[] = [];

  const config = (): Record<string, unknown> =>
    (yaml.load(readFileSync(stackFile, "utf8")) as { config: Record<string, unknown> }).config;
  /** Change nixlab:lab.suiteRun keys in the stack file (the secret and salt stay as pulumi wrote them). */
  const setRun = (settings: Record<string, unknown>): void => {
    const doc = yaml.load(readFileSync(stackFile, "utf8")) as { config: Record<string, unknown> };
    const lab = doc.config["nixlab:lab"] as { suiteRun: Record<string, unknown> };
    lab.suiteRun = { ...lab.suiteRun, ...settings };
    writeFileSync(stackFile, yaml.dump(doc));
  };
  const up = (reject = true) =>
    p.run(["up", "--yes", "--skip-preview", "-s", stack], { cwd: project, reject });
  const guestOut = async (): Promise<GuestOut> => {
    const all = JSON.parse(
      (await p.run(["stack", "output", "guests", "--json", "-s", stack], { cwd: project })).stdout,
    ) as Record<string, GuestOut>;
    const g = all[guestName];
    if (!g) throw new Error(`no output for ${guestName}`);
    return g;
  };
  const runState = async (): Promise<RunState> => {
    const state = JSON.parse((await p.run(["stack", "export", "-s", stack], { cwd: project })).stdout) as {
      deployment: { resources: { type: string; outputs: RunState }[] };
    };
    const r = state.deployment.resources.find((x) => x.type === "nixlab:host:SuiteRun");
    if (!r) throw new Error("no SuiteRun in the state");
    return r.outputs;
  };
  const runsInArchive = (): string[] => {
    const root = path.join(archive, stack, guestName);
    if (!existsSync(root)) return [];
    return readdirSync(root).flatMap((k) =>
      readdirSync(path.join(root, k)).map((r) => path.join(root, k, r)),
    );
  };
  /** ssh as root into the guest with the stack's key, as a user would with the sshCommand output. */
  const ssh = async (command: string) => {
    const g = await guestOut();
    const [, dest] = g.sshCommand.split(" ");
    return execa(
      "ssh",
      [
        "-i",
        keyFile,
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        dest ?? "",
        command,
      ],
      { reject: false },
    );
  };

  beforeAll(async () => {
    tmpBefore = tmpEntries();
    work = makeWorkDir("engine-suite-run");
    project = rootProjectCopy(path.join(work, "project"), "demo");
    // Absolute: the program runs from the copy's dist/, a link into the repository, where a relative
    // path would lead (tests/components/suite-run.test.ts covers the default's resolution).
    archive = path.join(work, "archive");
    stateDir = path.join(work, "state");
    keyFile = path.join(work, "id_ed25519");
    await execa("ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-C",
      "nixlab suite-run test",
      "-f",
      keyFile,
    ]);
    const publicKey = readFileSync(`${keyFile}.pub`, "utf8").trim();
    // A kdevops-style baseline folder: all.txt applies to every section.
    const baselineDir = path.join(work, "baseline"); // read by the program at every up
    mkdirSync(baselineDir);
    writeFileSync(
      path.join(baselineDir, "all.txt"),
      "generic/002 # known: extent beyond EOF on this setup\ngeneric/005 # fixed since\n",
    );
    // The project keeps its stacks' config files in stacks/ (Pulumi.yaml stackConfigDir).
    stackFile = path.join(project, "stacks", `Pulumi.${stack}.yaml`);
    writeFileSync(
      stackFile,
      yaml.dump({
        config: {
          "nixlab:lab": {
            sshKeys: [publicKey],
            guests: [
              {
                name: guestName,
                backend: "imageless",
                vcpus: 1,
                memoryMiB: 512,
                closure: { demoFixture: true },
                suite: { name: "fstests" },
              },
            ],
            suiteRun: {
              runId: "1",
              baseline: { path: baselineDir },
              archive,
              runTimeoutSeconds: 600,
              testTimeoutSeconds: 300,
            },
          },
        },
      }),
    );
    p = pulumiSandbox(work, { NIXLAB_STATE_DIR: stateDir });
    await p.run(["stack", "init", stack], { cwd: project });
    await p.run(["config", "set", "--secret", "nixlab:sshPrivateKey", "-s", stack], {
      cwd: project,
      input: readFileSync(keyFile, "utf8"),
    });
  });
  afterAll(async () => {
    await p.run(["destroy", "--yes", "--skip-preview", "-s", stack], { cwd: project, reject: false });
    await execa("virsh", ["-c", systemUri, "destroy", guestName], { reject: false });
    await execa("virsh", ["-c", systemUri, "undefine", guestName], { reject: false });
    removeWorkDir(work);
    if (timings.length > 0) console.info(`SuiteRun timings (s): ${JSON.stringify(timings)}`);
  });

  test("up runs the suite over SSH: 1 regression, 1 fix, the raw files archived, progress streamed", async () => {
    // Each line of `pulumi up`'s output with the time it arrived.
    const lines: { at: number; text: string }[] = [];
    const t0 = Date.now();
    const child = execa("pulumi", ["up", "--yes", "--skip-preview", "-s", stack, "--non-interactive"], {
      cwd: project,
      env: p.env,
      all: true,
      reject: false,
    });
    let partial = "";
    child.all?.on("data", (chunk: Buffer) => {
      const parts = (partial + chunk.toString("utf8")).split("\n");
      partial = parts.pop() ?? "";
      for (const text of parts) lines.push({ at: Date.now(), text });
    });
    const r = await child;
    console.info(r.all);
    console.info(`first up (boot + run): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(r.all).toMatch(/\+ 9 created/);
    const g = await guestOut();
    expect(g.suite.outcome).toBe("completed");
    expect(g.suite.regressions).toEqual(["nixlab/generic/003"]);
    expect(g.suite.fixes).toEqual(["nixlab/generic/005"]);
    expect(g.suite.counts).toEqual({ pass: 3, fail: 2, skip: 1, notrun: 0, error: 0 });

    // The archive: results/<stack>/<guest>/<kernel release>/<run id>/ with raw/ untouched.
    const s = await runState();
    expect(s.kernelRelease).toMatch(/^\d+\.\d+\.\d+-\d+-amd64$/);
    expect(s.archiveRunId).toMatch(/^\d{8}T\d{6}Z-1$/);
    expect(g.suite.resultsPath).toBe(path.join(archive, stack, guestName, s.kernelRelease, s.archiveRunId));
    const raw = path.join(g.suite.resultsPath, "raw");
    expect(readFileSync(path.join(raw, "nixlab", "check.log"), "utf8")).toMatch(
      /Failures: generic\/002 generic\/003\nFailed 2 of 6 tests/,
    );
    expect(readFileSync(path.join(raw, "nixlab", "result.xml"), "utf8")).toMatch(
      /<testcase classname="xfstests.nixlab" name="generic\/003"/,
    );
    expect(readFileSync(path.join(raw, "nixlab", "generic", "003.out.bad"), "utf8")).toBe(
      "QA output created by 003\natime not updated after read\n",
    );
    const summary = JSON.parse(readFileSync(path.join(g.suite.resultsPath, "summary.json"), "utf8"));
    expect(summary).toMatchObject({ suite: "fstests", stack, guest: guestName, outcome: "completed" });
    expect(readFileSync(path.join(g.suite.resultsPath, "runner.log"), "utf8")).toMatch(/^xfs\/001 +1s$/m);

    // Progress: the engine shows each line as it comes, while the tests run (not all at the end).
    const at = (re: RegExp) => lines.find((l) => re.test(l.text))?.at;
    const first = at(/generic\/001 /);
    const last = at(/xfs\/001 /);
    expect(first).toBeDefined();
    expect(last).toBeDefined();
    expect((last as number) - (first as number)).toBeGreaterThanOrEqual(3000);

    // The key reached the guest as a public key only; `sshCommand` works with its private half.
    const who = await ssh("id -un; uname -r");
    expect(who.stdout.split("\n")).toEqual(["root", s.kernelRelease]);
    expect(s.hostKey).toMatch(/^ssh-ed25519 AAAA/);
    const consoleText = readFileSync(g.consoleLog, "utf8");
    expect(consoleText).toContain(`NIXLAB-DEMO-HOSTKEY ${s.hostKey}`);
    const privateBody = readFileSync(keyFile, "utf8").split("\n")[1] ?? "";
    const stateFiles = await execa("grep", ["-rlF", privateBody, path.join(work, "pulumi-state")], {
      reject: false,
    });
    expect(stateFiles.stdout).toBe("");
    expect(s.timings.total).toBeGreaterThan(s.timings.suite ?? Number.POSITIVE_INFINITY);
    timings.push(s.timings);
  });

  test("a no-op up runs nothing, nor does a refresh", async () => {
    const r = await up();
    expect(r.all).toMatch(/9 unchanged/);
    expect(r.all).not.toMatch(/generic\/001/);
    const refresh = await p.run(["refresh", "--yes", "--skip-preview", "-s", stack], { cwd: project });
    expect(refresh.all).not.toMatch(/generic\/001|updated/);
    expect(runsInArchive()).toHaveLength(1);
  });

  test("policy fail fails the up on the regression, without running again", async () => {
    setRun({ policy: "fail" });
    const r = await up(false);
    expect(r.exitCode).not.toBe(0);
    console.info(r.all);
    expect(r.all).toMatch(/1 regression\(s\): nixlab\/generic\/003.*\(policy fail; results in \//);
    expect(r.all).not.toMatch(/generic\/001 |\n\s+at /);
    expect(runsInArchive()).toHaveLength(1);
    // Still failing on the next up (the regression is still there), still not running.
    expect((await up(false)).exitCode).not.toBe(0);
    setRun({ policy: "report" });
    await up();
    expect(runsInArchive()).toHaveLength(1);
  });

  test("a new baseline re-judges the last run without running it", async () => {
    const allTxt = path.join(work, "baseline", "all.txt");
    const before = readFileSync(allTxt, "utf8");
    writeFileSync(allTxt, `${before}generic/003 # now known too\n`);
    const r = await up();
    expect(r.all).toMatch(/the last run \(.*\) against the baseline: .*no regressions/);
    expect(r.all).not.toMatch(/generic\/001 /);
    expect((await guestOut()).suite.regressions).toEqual([]);
    expect(runsInArchive()).toHaveLength(1);
    writeFileSync(allTxt, before);
    await up();
    expect((await guestOut()).suite.regressions).toEqual(["nixlab/generic/003"]);
  });

  test("bumping runId runs the suite again into a new run folder", async () => {
    // This time the stand-in lets generic/003 pass, as an older kernel would.
    expect((await ssh("echo PASSING=generic/003 > /run/nixlab-stand-in.conf")).exitCode).toBe(0);
    setRun({ runId: "2" });
    const t0 = Date.now();
    const r = await up();
    console.info(`up that runs the suite again: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(r.all).toMatch(/~ 1 updated/);
    expect(r.all).toMatch(/runId changed: running the suite again/);
    const runs = runsInArchive();
    expect(runs).toHaveLength(2);
    expect(runs.map((d) => path.basename(d)).sort()[1]).toMatch(/-2$/);
    const g = await guestOut();
    expect(g.suite.regressions).toEqual([]);
    expect(g.suite.counts).toMatchObject({ pass: 4, fail: 1 });
    timings.push((await runState()).timings);
    await ssh("rm -f /run/nixlab-stand-in.conf");
  });

  test("nixlab results compare shows generic/003 failing in run 1, not in run 2", async () => {
    const [run1, run2] = runsInArchive().sort();
    const nixlab = path.join(repoRoot, "bin", "nixlab");
    const r = await execa("node", [nixlab, "results", "compare", run2 as string, run1 as string], {
      cwd: project,
      reject: false,
      all: true,
    });
    console.info(r.all);
    expect(r.exitCode).toBe(0);
    expect(r.all).toMatch(/^1 new failure\(s\), 0 fix\(es\), 1 still failing/m);
    expect(r.all).toMatch(/New failures in B \(1\):\n {2}nixlab\/generic\/003\n/);
    const list = await execa("node", [nixlab, "results", "list", "--archive", archive, "--stack", stack]);
    expect(list.stdout.split("\n")).toHaveLength(3);
  });

  test("a test that hangs is stopped at the per-test limit; up returns and the run is recorded as timed out", async () => {
    expect((await ssh("echo HANG_AT=generic/005 > /run/nixlab-stand-in.conf")).exitCode).toBe(0);
    setRun({ runId: "3", testTimeoutSeconds: 8 });
    const t0 = Date.now();
    const r = await up();
    const took = (Date.now() - t0) / 1000;
    console.info(`up with a hanging test: ${took.toFixed(1)} s`);
    expect(took).toBeLessThan(120);
    expect(r.all).toMatch(/no test finished for 8 s \(the per-test limit\)/);
    const g = await guestOut();
    expect(g.suite.outcome).toBe("timedOut");
    const s = await runState();
    expect(s.outcomeReason).toMatch(/per-test limit/);
    // What existed was collected: check wrapped up its report on SIGTERM.
    expect(readFileSync(path.join(g.suite.resultsPath, "raw", "nixlab", "check.log"), "utf8")).toMatch(
      /Interrupted!/,
    );
    expect(JSON.parse(readFileSync(path.join(g.suite.resultsPath, "summary.json"), "utf8")).outcome).toBe(
      "timedOut",
    );
    expect(g.suite.regressions).toEqual(["nixlab/generic/003"]);
    // Nothing of the run is left running on the guest.
    expect((await ssh("ps | grep -v grep | grep -c nixlab-run-suite")).stdout.trim()).toBe("0");
  });

  test("a run longer than its limit is stopped there", async () => {
    expect((await ssh("echo SECONDS_PER_TEST=3 > /run/nixlab-stand-in.conf")).exitCode).toBe(0);
    setRun({ runId: "4", runTimeoutSeconds: 8, testTimeoutSeconds: 8 });
    const r = await up();
    expect(r.all).toMatch(/the run exceeded its limit of 8 s/);
    expect((await guestOut()).suite.outcome).toBe("timedOut");
    expect(runsInArchive()).toHaveLength(4);
    await ssh("rm -f /run/nixlab-stand-in.conf");
  });

  test("a guest that hangs mid-run ends the session through keepalives; up returns", async () => {
    const { ipAddress } = await guestOut();
    expect((await ssh("echo SECONDS_PER_TEST=4 > /run/nixlab-stand-in.conf")).exitCode).toBe(0);
    setRun({ runId: "hang", runTimeoutSeconds: 600, testTimeoutSeconds: 300 });
    const t0 = Date.now();
    const running = up();
    // Freeze the guest once its first test has finished.
    const started = () =>
      runsInArchive().some((d) => {
        const log = path.join(d, "runner.log");
        return (
          path.basename(d).endsWith("-hang") &&
          existsSync(log) &&
          /generic\/001 /.test(readFileSync(log, "utf8"))
        );
      });
    while (!started() && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 500));
    await virsh(["suspend", guestName]);
    let r: Awaited<typeof running>;
    try {
      r = await running;
    } finally {
      await virsh(["resume", guestName]);
    }
    const took = (Date.now() - t0) / 1000;
    console.info(`up with a guest frozen mid-run: ${took.toFixed(1)} s`);
    expect(took).toBeLessThan(150);
    expect(r.all).toMatch(/the SSH session to root@\S+ ended/);
    const s = await runState();
    expect(s.outcome).toBe("failed");
    expect(s.outcomeReason).toMatch(/the SSH session to root@\S+ ended.*collecting the results failed/s);
    expect(runsInArchive()).toHaveLength(5);
    const procs = await execa("pgrep", ["-af", `root@${ipAddress}`], { reject: false });
    expect(procs.stdout).toBe("");
    // The guest, thawed, finishes the orphaned run by itself; clear the stand-in's setting.
    await ssh("rm -f /run/nixlab-stand-in.conf");
  });

  test("a guest with new host keys is refused until the SuiteRun is replaced", async () => {
    const pinned = (await runState()).hostKey;
    // New host keys without a reboot: dropbear restarted with a fresh key.
    const rekey = await ssh(
      [
        "pid=$(cat /run/dropbear.pid)",
        'bin=$(dirname "$(readlink /proc/$pid/exe)")',
        "kill $pid",
        "rm -f /etc/dropbear/new_host_key",
        '"$bin/dropbearkey" -t ed25519 -f /etc/dropbear/new_host_key >/dev/null 2>&1',
        'setsid "$bin/dropbear" -F -E -s -r /etc/dropbear/new_host_key -p 22 -P /run/dropbear.pid </dev/null >/dev/null 2>&1 &',
      ].join("; "),
    );
    expect(rekey.exitCode).toBe(0);
    setRun({ runId: "5" });
    const refused = await up(false);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.all).toMatch(/the SSH host key of root@\S+ is not the one pinned on first contact/);
    expect(runsInArchive()).toHaveLength(5);
    const urn = JSON.parse(
      (await p.run(["stack", "export", "-s", stack], { cwd: project })).stdout,
    ).deployment.resources.find((x: { type: string }) => x.type === "nixlab:host:SuiteRun").urn as string;
    await p.run(["up", "--yes", "--skip-preview", "-s", stack, "--replace", urn], { cwd: project });
    const s = await runState();
    expect(s.hostKey).not.toBe(pinned);
    expect(s.outcome).toBe("completed");
    expect(runsInArchive()).toHaveLength(6);
  });

  test("destroy leaves no domain, GC root, boot copy, temp file or process, and keeps the archive", async () => {
    const { ipAddress } = await guestOut();
    const domainXml = await virsh(["dumpxml", guestName]);
    const kernelCopy = /<kernel>([^<]+)<\/kernel>/.exec(domainXml)?.[1] ?? "";
    const r = await p.run(["destroy", "--yes", "--skip-preview", "-s", stack], { cwd: project });
    expect(r.all).toMatch(/the results stay in/);
    expect((await virsh(["list", "--all", "--name"])).split("\n")).not.toContain(guestName);
    expect(readdirSync(path.join(stateDir, "gcroots"))).toEqual([]);
    expect(existsSync(kernelCopy)).toBe(false);
    expect(tmpEntries()).toEqual(tmpBefore);
    expect(orphanTempFolders()).toEqual([]);
    const procs = await execa("pgrep", ["-af", `root@${ipAddress}`], { reject: false });
    expect(procs.stdout).toBe("");
    expect(runsInArchive()).toHaveLength(6);
    expect(config()["nixlab:lab"]).toBeDefined();
  });
});
