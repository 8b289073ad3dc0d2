// Config errors of the repository's own program through the real Pulumi engine (a copy of the
// project with stack files of our own): every problem printed as a list of keys and messages,
// with no stack trace, no "unhandled exception" banner and no colour codes; nothing built,
// written or created before the list; a pasted private key never shown nor written by nixlab.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { parseMeminfo } from "../../components/host-checks";
import { buildXml } from "../../provider/libvirt/xml";
import { virsh } from "../support/libvirt";
import { sweepLibvirtObjects } from "../support/libvirt-objects";
import { type NixSpy, nixSpy } from "../support/nix-spy";
import { testPrefix } from "../support/paths";
import { type PulumiRun, type PulumiSandbox, pulumiSandbox } from "../support/pulumi";
import { rootProjectCopy } from "../support/root-project";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const run = `${testPrefix}cfg-`;
const stack = `config-errors-${process.pid}`;

/** The "- key: message" lines under the error in the Diagnostics section. */
function listed(out: string): string[] {
  const lines = out.split("\n");
  const diagnostics = lines.indexOf("Diagnostics:");
  const start = lines.findIndex((l, i) => i > diagnostics && l.trim() === "error: invalid nixlab:lab:");
  if (diagnostics < 0 || start < 0) throw new Error(`no config error listed in:\n${out}`);
  const items: string[] = [];
  for (const l of lines.slice(start + 1)) {
    const m = /^\s+- (.*)$/.exec(l);
    if (!m?.[1]) break;
    items.push(m[1]);
  }
  return items;
}

/** What a person must never see in a config error. */
function expectPlain(r: PulumiRun): void {
  expect(r.all).not.toMatch(/^\s+at \S/m); // stack frames
  expect(r.all).not.toMatch(/unhandled exception/i);
  expect(r.all).not.toContain("\u001b[");
  expect(r.all).not.toMatch(/ConfigError|RunError/);
}

describe("config errors through the Pulumi engine", () => {
  let work: string;
  let project: string;
  let stateDir: string;
  let p: PulumiSandbox;
  let spy: NixSpy;
  let salt: string;

  /** A stack's settings file in the project copy (Pulumi.yaml keeps them in stacks/). */
  const stackFile = (name: string) => path.join(project, "stacks", `Pulumi.${name}.yaml`);
  /** Write this run's stack file with `lab` as nixlab:lab (undefined: no setting at all). */
  const setLab = (lab: unknown) => {
    const config = lab === undefined ? {} : { "nixlab:lab": lab };
    writeFileSync(stackFile(stack), yaml.dump({ encryptionsalt: salt, config }));
  };
  const pulumi = (args: string[], s = stack) => p.run([...args, "-s", s], { cwd: project, reject: false });
  const stateTypes = async (s = stack) => {
    const state = JSON.parse((await pulumi(["stack", "export"], s)).stdout) as {
      deployment: { resources?: { type: string }[] };
    };
    return (state.deployment.resources ?? []).map((x) => x.type);
  };

  beforeAll(async () => {
    work = makeWorkDir("engine-config-errors");
    project = rootProjectCopy(path.join(work, "project"), "demo");
    stateDir = path.join(work, "nixlab-state");
    spy = nixSpy(work);
    p = pulumiSandbox(work, { NIXLAB_STATE_DIR: stateDir }, { pathPrepend: [spy.binDir] });
    await p.run(["stack", "init", stack], { cwd: project });
    const init = yaml.load(readFileSync(stackFile(stack), "utf8")) as {
      encryptionsalt: string;
    };
    salt = init.encryptionsalt;
    // A domain of someone else's with a name the lab wants.
    const xml = path.join(work, "taken.xml");
    writeFileSync(
      xml,
      buildXml({
        domain: {
          "@_type": "qemu",
          name: `${run}taken`,
          memory: { "@_unit": "MiB", "#text": "32" },
          os: { type: { "@_arch": "x86_64", "#text": "hvm" } },
        },
      }),
    );
    await virsh(["define", xml]);
  });
  afterAll(async () => {
    await p.run(["stack", "rm", "--yes", "--force", "-s", stack], { cwd: project, reject: false });
    sweepLibvirtObjects(run);
    removeWorkDir(work);
  });
  beforeEach(() => spy.reset());

  const schemaErrors = {
    uri: "qemu+ssh:///system",
    guests: [
      {
        name: `${run}l`,
        backend: "libvirt",
        shares: { src: "/srv/src" },
        extraKernelParams: ["console=ttyS0\nroot=/dev/evil"],
        closure: {
          spec: {
            storage: {
              "media/test": { device: "/dev/vdb", fsType: "xfs" },
              "/media/scratch": { device: "vdc", fsType: "xfs" },
            },
            shares: { "/src": { tag: "my source" } },
          },
        },
      },
    ],
  };
  const schemaList = [
    "nixlab:lab.uri: qemu+ssh:// needs a host, as in qemu+ssh://root@host/system",
    "nixlab:lab.guests[0].extraKernelParams[0]: must not contain newlines or control characters",
    "nixlab:lab.guests[0].shares: only applies to imageless guests",
    "nixlab:lab.guests[0].extraKernelParams: only applies to imageless guests",
    "nixlab:lab.guests[0].closure.spec.shares: only applies to imageless guests (libvirt guests get no virtiofs shares)",
    'nixlab:lab.guests[0].closure.spec.shares["/src"].tag: must be 1-36 of A-Z a-z 0-9 _ . + - (a virtiofs tag: no spaces), got "my source"',
    'nixlab:lab.guests[0].closure.spec.storage["/media/scratch"].device: must be a device under /dev, such as /dev/vdb or /dev/disk/by-id/virtio-SERIAL, got "vdc"',
    'nixlab:lab.guests[0].closure.spec.storage["media/test"]: the mount point must be an absolute path (starting with /), got "media/test"',
  ];

  test("preview and up list every schema problem by key, plainly, and build nothing", async () => {
    setLab(schemaErrors);
    for (const args of [["preview"], ["up", "--yes", "--skip-preview"]]) {
      const r = await pulumi(args);
      expect(r.exitCode).not.toBe(0);
      expect(listed(r.all)).toEqual(schemaList);
      expectPlain(r);
    }
    expect(spy.calls()).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
  });

  test("host problems (a taken name, a missing kernel, too much memory) are listed before anything is created", async () => {
    const mem = parseMeminfo(readFileSync("/proc/meminfo", "utf8"));
    if (!mem) throw new Error("no /proc/meminfo");
    const kernel = {
      bzImage: path.join(work, "no", "bzImage"),
      modulesDir: path.join(work, "no", "modules"),
    };
    setLab({
      guests: [
        { name: `${run}taken`, backend: "imageless", memoryMiB: 256, closure: { demoFixture: true } },
        {
          name: `${run}k`,
          backend: "imageless",
          memoryMiB: mem.totalMiB + 1,
          kernel,
          closure: { demoFixture: true },
        },
      ],
    });
    const r = await pulumi(["up", "--yes", "--skip-preview"]);
    expect(r.exitCode).not.toBe(0);
    expect(listed(r.all)).toEqual([
      `nixlab:lab.guests[1].kernel.bzImage: ${kernel.bzImage} does not exist`,
      `nixlab:lab.guests[1].kernel.modulesDir: ${kernel.modulesDir} does not exist`,
      `nixlab:lab.guests[0].name: a libvirt domain named ${run}taken already exists on qemu:///system and was not created by nixlab for this stack`,
      `nixlab:lab.guests[1].memoryMiB: ${mem.totalMiB + 1} MiB is more than the host's ${mem.totalMiB} MiB of RAM`,
    ]);
    expectPlain(r);
    expect(spy.calls()).toEqual([]);
    expect((await virsh(["list", "--all", "--name"])).split("\n")).not.toContain(`${run}k`);
    // Nothing of nixlab's in the state (the engine's own stack and built-in provider only).
    expect((await stateTypes()).filter((t) => t.startsWith("nixlab:"))).toEqual([]);
  });

  test("a private key pasted into sshKeys is refused, never shown, and nothing is written for it", async () => {
    const keyFile = path.join(work, "id_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keyFile]);
    const privateKey = readFileSync(keyFile, "utf8");
    setLab({
      sshKeys: [privateKey],
      guests: [{ name: `${run}s`, backend: "imageless", memoryMiB: 256, closure: { spec: {} } }],
    });
    const r = await pulumi(["up", "--yes", "--skip-preview"]);
    expect(r.exitCode).not.toBe(0);
    expect(listed(r.all)).toEqual([
      "nixlab:lab.sshKeys[0]: is a private key, refused: put its public half here (`ssh-keygen -y -f KEYFILE` prints it) and remove the private key from the stack config",
    ]);
    expectPlain(r);
    // The body lines after the public part (the private scalar) appear nowhere in the output.
    const body = privateKey.split("\n").slice(1, -2);
    expect(body.length).toBeGreaterThan(3);
    for (const line of body.slice(3)) expect(r.all).not.toContain(line);
    // No generated flake (spec.json would hold the keys), so nothing reached Nix or its store.
    expect(existsSync(stateDir)).toBe(false);
    expect(spy.calls()).toEqual([]);
  });

  test("no lab setting, or one that is no object: our message, without the value", async () => {
    setLab(undefined);
    const missing = await pulumi(["preview"]);
    expect(listed(missing.all)).toEqual([
      "nixlab:lab: is not set: describe the lab under config: nixlab:lab in stacks/Pulumi.<stack>.yaml (start from one of stack-templates/)",
    ]);
    expectPlain(missing);
    setLab("hunter2-not-json");
    const text = await pulumi(["preview"]);
    expect(listed(text.all)).toEqual([
      "nixlab:lab: must be an object with guests (and uri, pool, network, ...)",
    ]);
    expect(text.all).not.toContain("hunter2");
    expectPlain(text);
  });

  test("guests asking for more memory than is free: a warning, and the preview goes on", async () => {
    const mem = parseMeminfo(readFileSync("/proc/meminfo", "utf8"));
    if (!mem?.availableMiB) throw new Error("no MemAvailable");
    const each = Math.floor(mem.availableMiB * 0.6);
    setLab({
      guests: [
        { name: `${run}m`, count: 2, backend: "imageless", memoryMiB: each, closure: { demoFixture: true } },
      ],
    });
    const r = await pulumi(["preview"]);
    expect(r.exitCode).toBe(0);
    expect(r.all).toMatch(
      new RegExp(
        `warning: nixlab:lab: the guests to start ask for ${2 * each} MiB in all, more than the \\d+ MiB the host has available \\(of ${mem.totalMiB} MiB\\)`,
      ),
    );
    expect(r.all).not.toMatch(/error:/);
    expectPlain(r);
  });

  test("a stack's own guest, network and pool (in its state, the pool holding its volume) pass the checks on the next up; another stack's preview lists them", async () => {
    const guest = `${run}own`;
    const lab = {
      network: { name: `${run}net`, address: "192.168.247.1/24" },
      pool: { name: `${run}pool`, path: path.join(work, "pool") },
      guests: [
        {
          name: guest,
          backend: "imageless",
          vcpus: 1,
          memoryMiB: 256,
          drives: [{ name: "scratch", size: "16M" }],
          closure: { demoFixture: true },
        },
      ],
    };
    setLab(lab);
    const other = `${stack}-other`;
    let destroyed: Awaited<ReturnType<typeof pulumi>> | undefined;
    try {
      const made = await pulumi(["up", "--yes", "--skip-preview"]);
      if (made.exitCode !== 0) throw new Error(made.all);
      expect((await virsh(["vol-list", `${run}pool`])).split("\n").filter((l) => l.trim())).toHaveLength(1);
      // This stack again: its state records them all, so the checks pass and nothing changes.
      const again = await pulumi(["up", "--yes"]);
      expect(again.exitCode).toBe(0);
      expect(again.all).toMatch(/\d+ unchanged/);
      expect(again.all).not.toMatch(/to (create|update|replace|delete)|error:|warning:/);
      expectPlain(again);
      // Another stack with the same config: the running guest and the pool holding a volume are not its own.
      await p.run(["stack", "init", other], { cwd: project });
      const otherFile = stackFile(other);
      const otherSalt = (yaml.load(readFileSync(otherFile, "utf8")) as { encryptionsalt: string })
        .encryptionsalt;
      writeFileSync(otherFile, yaml.dump({ encryptionsalt: otherSalt, config: { "nixlab:lab": lab } }));
      const theirs = await pulumi(["preview"], other);
      expect(theirs.exitCode).not.toBe(0);
      expect(listed(theirs.all)).toEqual([
        `nixlab:lab.guests[0].name: a libvirt domain named ${guest} already exists on qemu:///system and belongs to stack ${stack} of project nixlab`,
        `nixlab:lab.pool.name: a libvirt storage pool named ${run}pool already exists on qemu:///system and is not this stack's (it holds 1 volume(s))`,
      ]);
      expectPlain(theirs);
    } finally {
      await p.run(["stack", "rm", "--yes", "--force", "-s", other], { cwd: project, reject: false });
      destroyed = await pulumi(["destroy", "--yes", "--skip-preview"]);
    }
    if (destroyed?.exitCode !== 0) throw new Error(`destroy failed:\n${destroyed?.all}`);
    expect((await stateTypes()).filter((t) => t.startsWith("nixlab:"))).toEqual([]);
    expect((await virsh(["list", "--all", "--name"])).split("\n")).not.toContain(guest);
  });
});
