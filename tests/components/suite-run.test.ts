// Lab's suite runs with Pulumi's mocks: which SuiteRun it registers for which guest and with what
// inputs, what stops it before anything is registered (no key, a missing baseline), the opt-out,
// the demo guest's keys on its kernel command line, and the suiteRun settings' checks.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig } from "@pulumi/pulumi/runtime/rpc";
import { fakeToplevel, mockPulumi, settle, value } from "../support/mocks";

const fakeOut = mkdtempSync(path.join(tmpdir(), "nixlab-suite-wiring-"));
process.env.NIXLAB_STATE_DIR = path.join(fakeOut, "state");

// A "built" imageless toplevel (the demo fixture's shape).
const toplevel = fakeToplevel(path.join(fakeOut, "toplevel"));

const { registered, byType } = mockPulumi("lab-stack", {
  "nixlab:nix:Build": () => ({ outPath: toplevel }),
  "nixlab:libvirt:Domain": (inputs) => ({
    ipAddress: "192.168.122.50",
    uuid: `uuid-${String(inputs.name)}`,
    consoleLogPath: "/var/log/console.log",
  }),
});

import { Lab } from "../../components/lab";
import { projectDir } from "../../components/suite-run";
import { suiteRunConfig } from "../../components/suite-run-config";
import { ConfigError, validate } from "../../components/validate";
import { repoRoot } from "../support/paths";

/** A real key pair (the stack config accepts only whole public keys). */
function keyPair(type: string, bits?: number): { key: string; pub: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "nixlab-suite-keys-"));
  try {
    const file = path.join(dir, "id");
    execFileSync("ssh-keygen", [
      "-q",
      "-t",
      type,
      ...(bits ? ["-b", String(bits)] : []),
      "-N",
      "",
      "-C",
      "suite@test",
      "-f",
      file,
    ]);
    return { key: readFileSync(file, "utf8"), pub: readFileSync(`${file}.pub`, "utf8").trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const { key, pub } = keyPair("ed25519");

const demo = (name: string, suite?: unknown) => ({
  name,
  backend: "imageless",
  memoryMiB: 512,
  closure: { demoFixture: true },
  ...(suite ? { suite } : {}),
});

const problems = async (f: () => unknown): Promise<string[]> => {
  try {
    await f();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

/** Scratch folders under the system's temp folder, all removed at the end. */
const scratch = (label: string): string => mkdtempSync(path.join(fakeOut, `${label}-`));

beforeEach(() => {
  registered.length = 0;
});
afterAll(() => rmSync(fakeOut, { recursive: true, force: true }));

describe("Lab and suite runs", () => {
  test("a SuiteRun for each guest with a suite: the guest's address, domain, closure and kernel, the stack's settings", async () => {
    const baseline = scratch("baseline");
    writeFileSync(path.join(baseline, "all.txt"), "generic/002 # known\n");
    writeFileSync(path.join(baseline, "xfs_crc.txt"), "xfs/100\n");
    const lab = await Lab.create(
      "lab",
      {
        sshKeys: [pub],
        guests: [demo("with-suite", { name: "fstests" }), demo("without")],
        suiteRun: {
          runId: "7",
          policy: "fail",
          runTimeoutSeconds: 900,
          testTimeoutSeconds: 60,
          baseline: { path: baseline },
        },
      },
      undefined,
      { sshPrivateKey: pulumi.secret(key) },
    );
    expect(Object.keys(lab.guests)).toEqual(["with-suite", "without"]);
    expect(lab.guests.without?.suite).toBeUndefined();
    await value(lab.guests["with-suite"]?.suite?.outcome ?? pulumi.output(""));
    await settle();
    const runs = byType("nixlab:host:SuiteRun");
    expect(runs.map((r) => r.name)).toEqual(["with-suite-suite"]);
    const inputs = runs[0]?.inputs as Record<string, unknown>;
    expect(inputs).toMatchObject({
      guestId: "uuid-with-suite",
      stack: "lab-stack",
      guest: "with-suite",
      closure: toplevel,
      suite: { name: "fstests", options: {} },
      runId: "7",
      policy: "fail",
      runTimeoutSeconds: 900,
      testTimeoutSeconds: 60,
      baseline: { all: ["generic/002"], sections: { xfs_crc: ["xfs/100"] }, source: baseline },
      // ./results, from the project's folder (this repository's Pulumi.yaml, as jest runs here).
      archiveRoot: path.join(repoRoot, "results"),
    });
    // The connection, key and all, travels as a secret.
    const connection = inputs.connection as Record<string, unknown>;
    expect(Object.values(connection)).toContain(specialSecretSig);
    expect(connection.value).toEqual({ host: "192.168.122.50", user: "root", privateKey: key });
    expect(inputs.kernel).toMatch(/\/kernel\/linux-image-[^/]+\/vmlinu[zx]$/);
    expect(byType("nixlab:components:SuiteRun")).toHaveLength(1);
  });

  test("without nixlab:sshPrivateKey a stack with suites fails naming the key, and registers nothing", async () => {
    expect(
      await problems(() =>
        Lab.create("lab", { guests: [demo("a", { name: "fstests" }), demo("b", { name: "ltp" })] }),
      ),
    ).toEqual([
      "nixlab:sshPrivateKey: must be set to run the suites of a, b over SSH (pulumi config set --secret nixlab:sshPrivateKey < KEYFILE; its public key in nixlab:lab.sshKeys), or turn suite runs off with nixlab:lab.suiteRun.enabled: false",
    ]);
    expect(registered).toEqual([]);
  });

  test("suiteRun.enabled: false runs no suites (and needs no key)", async () => {
    const lab = await Lab.create("lab", {
      guests: [demo("a", { name: "fstests" })],
      suiteRun: { enabled: false },
    });
    await value(lab.guests.a?.ipAddress ?? pulumi.output(""));
    await settle();
    expect(byType("nixlab:host:SuiteRun")).toEqual([]);
    expect(lab.guests.a?.suite).toBeUndefined();
  });

  test("a baseline that is not there fails before anything is registered", async () => {
    expect(
      await problems(() =>
        Lab.create(
          "lab",
          {
            guests: [demo("a", { name: "fstests" })],
            suiteRun: { baseline: { path: "/nonexistent/expunges" } },
          },
          undefined,
          { sshPrivateKey: key },
        ),
      ),
    ).toEqual([
      "nixlab:lab.suiteRun.baseline: baseline /nonexistent/expunges: no such file or folder (looked at /nonexistent/expunges)",
    ]);
    expect(registered).toEqual([]);
  });

  test("the demo guest gets the stack's public keys on its kernel command line, and too many are refused", async () => {
    const lab = await Lab.create("lab", { sshKeys: [pub], guests: [demo("d")] });
    await value(lab.guests.d?.ipAddress ?? pulumi.output(""));
    await settle();
    const boot = (byType("nixlab:libvirt:Domain")[0]?.inputs as { boot: { cmdline: string } }).boot;
    const param = boot.cmdline.split(" ").find((p) => p.startsWith("nixlab.ssh_key="));
    expect(Buffer.from(param?.slice("nixlab.ssh_key=".length) ?? "", "base64").toString()).toBe(pub);
    const rsa = [keyPair("rsa", 4096).pub, keyPair("rsa", 4096).pub];
    const room =
      Buffer.from(rsa[0] ?? "").toString("base64").length +
      Buffer.from(rsa[1] ?? "").toString("base64").length;
    expect(await problems(() => Lab.create("lab", { sshKeys: rsa, guests: [demo("d")] }))).toEqual([
      expect.stringMatching(
        /^nixlab:lab\.sshKeys: \d+ bytes of keys do not fit the demo guest's kernel command line \(at most 1500; ed25519 keys are short\)$/,
      ),
    ]);
    expect(room).toBeGreaterThan(1500);
  });
});

describe("suiteRun settings", () => {
  const messages = (settings: unknown) =>
    problems(() => validate(suiteRunConfig, settings, "nixlab:lab.suiteRun"));

  test("defaults", () => {
    expect(validate(suiteRunConfig, {}, "x")).toEqual({
      enabled: true,
      runId: "1",
      runTimeoutSeconds: 21600,
      testTimeoutSeconds: 3600,
      policy: "report",
      archive: "./results",
    });
  });

  test.each<[string, unknown, string[]]>([
    [
      "a runId with spaces",
      { runId: "run two" },
      ['nixlab:lab.suiteRun.runId: must be 1-40 letters, digits, . _ - (e.g. "2")'],
    ],
    [
      "a per-test limit above the run's",
      { runTimeoutSeconds: 60, testTimeoutSeconds: 120 },
      ["nixlab:lab.suiteRun.testTimeoutSeconds: must not exceed runTimeoutSeconds (60)"],
    ],
    [
      "no time at all",
      { runTimeoutSeconds: 0 },
      ["nixlab:lab.suiteRun.runTimeoutSeconds: must be at least 1 (seconds)"],
    ],
    [
      "an unknown policy",
      { policy: "warn" },
      ['nixlab:lab.suiteRun.policy: Invalid option: expected one of "report"|"fail"'],
    ],
    [
      "a baseline of no known shape",
      { baseline: { file: "x" } },
      [
        "nixlab:lab.suiteRun.baseline: must be one of { path }, { entries: [...] } or { all: [...], sections: { <section>: [...] } }",
      ],
    ],
    ["an unknown key", { retries: 2 }, ['nixlab:lab.suiteRun: Unrecognized key: "retries"']],
  ])("%s", async (_what, settings, expected) => {
    expect(await messages(settings)).toEqual(expected);
  });
});

describe("the project folder", () => {
  test("is found upwards from where the program runs (the engine starts it in its main's folder)", () => {
    const project = scratch("project");
    writeFileSync(path.join(project, "Pulumi.yaml"), "name: p\nruntime: nodejs\n");
    mkdirSync(path.join(project, "dist", "sub"), { recursive: true });
    expect(projectDir(path.join(project, "dist", "sub"))).toBe(project);
    expect(readFileSync(path.join(projectDir(project), "Pulumi.yaml"), "utf8")).toMatch(/^name: p/);
  });
});
