// A lab on two hosts through the real Pulumi engine: this machine (qemu:///system) and a second
// "host" reached over SSH (a loopback sshd; libvirt over qemu+ssh://, Nix over ssh-ng://, its
// key a stack secret and its host key pinned). Both are this machine's libvirtd, so a remote
// guest's files must be in this machine's /nix/store to boot; the "remote" Nix store is a
// separate store (local?root=DIR) so that the copy really moves the closure and kernel, and its
// contents prove it ran. Also: guests placed across the hosts by capacity, a host added in front
// moving nothing, a second stack up at once on the same host (its own pool), the wall time of
// `up` against the same guests on one host, and a destroy that leaves nothing on either host.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import * as yaml from "js-yaml";
import { readOnlyView } from "../../provider/libvirt/readonly-share";
import { nixEnv } from "../support/env";
import { virsh, waitForConsole } from "../support/libvirt";
import { sweepLibvirtObjects } from "../support/libvirt-objects";
import { testPrefix } from "../support/paths";
import { type PulumiSandbox, pulumiSandbox } from "../support/pulumi";
import { rootProjectCopy } from "../support/root-project";
import { type LoopbackSshd, labHostSsh, startSshd } from "../support/sshd";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

// Stack names make the per-stack pool names (nixlab-<stack>): these start with testPrefix.
const hostsStack = `test-${process.pid}-hosts`;
const oneStack = `test-${process.pid}-one`;
const poolOf = (stack: string) => `nixlab-${stack}`;
const guest = (name: string, extra: object = {}) => ({
  name: `${testPrefix}${name}`,
  backend: "imageless",
  vcpus: 1,
  memoryMiB: 256,
  closure: { demoFixture: true },
  ...extra,
});
const drive = { drives: [{ name: "t", size: "16M" }] };
// The far host's own network (created, named nixlab-<stack>): its guests' addresses come from it.
const farNet = `10.213.${process.pid % 250}`;

interface GuestOut {
  ipAddress: string;
  consoleLog: string;
  closurePath: string;
  host: string;
}

describe("a lab on two hosts", () => {
  let work: string;
  let project: string;
  let sshd: LoopbackSshd;
  let p: PulumiSandbox;
  let remoteRoot: string;
  let stateDir: string;
  const seconds: Record<string, number> = {};

  const stackFile = (s: string) => path.join(project, "stacks", `Pulumi.${s}.yaml`);
  const pulumi = (args: string[], s: string, reject = true) =>
    p.run([...args, "-s", s], { cwd: project, reject });
  const outputs = async (s: string): Promise<Record<string, GuestOut>> =>
    JSON.parse((await pulumi(["stack", "output", "guests", "--json"], s)).stdout);
  /** Write a stack's nixlab:lab, keeping its salt and secrets. */
  const setLab = (s: string, lab: unknown) => {
    const doc = yaml.load(readFileSync(stackFile(s), "utf8")) as { config?: Record<string, unknown> };
    writeFileSync(stackFile(s), yaml.dump({ ...doc, config: { ...doc.config, "nixlab:lab": lab } }));
  };
  const timedUp = async (s: string) => {
    const t0 = Date.now();
    const r = await pulumi(["up", "--yes", "--skip-preview"], s);
    seconds[s] = (Date.now() - t0) / 1000;
    // With the engine's time per resource, for where the time goes.
    const slow = r.all.split("\n").filter((l) => /created \((\d{2,}|[5-9])s\)/.test(l));
    console.info(`pulumi up -s ${s}: ${seconds[s]?.toFixed(1)} s\n${slow.map((l) => l.trim()).join("\n")}`);
    return r;
  };

  let here: object;
  let far: object;

  beforeAll(async () => {
    work = makeWorkDir("hosts-two");
    sshd = await startSshd(path.join(work, "sshd"));
    project = rootProjectCopy(path.join(work, "project"), "demo");
    stateDir = path.join(work, "state");
    remoteRoot = path.join(work, "far-store");
    p = pulumiSandbox(work, { NIXLAB_STATE_DIR: stateDir });
    here = { name: "here", capacity: { vcpus: 1, memoryMiB: 256 } };
    far = {
      name: "far",
      ssh: labHostSsh(sshd),
      // The far host's own store: what the copy writes (see the header).
      nixStore: `ssh-ng://${sshd.user}@127.0.0.1?remote-store=${encodeURIComponent(`local?root=${remoteRoot}`)}`,
      capacity: { vcpus: 2, memoryMiB: 1024 },
      network: { address: `${farNet}.1/24` },
    };
    for (const s of [hostsStack, oneStack]) await p.run(["stack", "init", s], { cwd: project });
    setLab(hostsStack, { hosts: [here, far], guests: [guest("ha", drive), guest("hb")] });
    // The host's private key: a stack secret, by host name.
    await p.run(["config", "set", "--secret", "--path", "nixlab:hostKeys.far", "-s", hostsStack], {
      cwd: project,
      input: readFileSync(sshd.identityFile, "utf8"),
    });
    setLab(oneStack, { guests: [guest("sa", drive), guest("sb")] });
  });
  afterAll(async () => {
    for (const s of [hostsStack, oneStack]) await pulumi(["destroy", "--yes", "--skip-preview"], s, false);
    sweepLibvirtObjects(testPrefix);
    await sshd?.stop();
    removeWorkDir(work);
  });

  test("guests that do not fit fail the preview, named with what they lack; nothing is made", async () => {
    setLab(hostsStack, {
      hosts: [here, far],
      guests: [guest("ha", drive), guest("hb", { memoryMiB: 2048 })],
    });
    const preview = await pulumi(["preview"], hostsStack, false);
    expect(preview.exitCode).not.toBe(0);
    expect(preview.all).toContain(
      `nixlab:lab.hosts: guests ${testPrefix}hb (2048 MiB and 1 vcpus) do not fit on any host: they need 2048 MiB and 1 vcpus, the hosts have here 0 MiB and 0 vcpus, far 1024 MiB and 2 vcpus left (short by 1024 MiB and 0 vcpus in all)`,
    );
    expect(preview.all).not.toMatch(/^\s+at \S/m);
    expect(existsSync(remoteRoot)).toBe(false);
    setLab(hostsStack, { hosts: [here, far], guests: [guest("ha", drive), guest("hb")] });
  });

  test("guests are placed on both hosts; closure and kernel are copied to the far host first; both boot", async () => {
    expect(existsSync(remoteRoot)).toBe(false);
    const up = await timedUp(hostsStack);
    expect(up.all).toMatch(/copying \d+ paths/);
    const guests = await outputs(hostsStack);
    // Equal guests are placed by name: ha fills "here" (256 MiB, 1 vcpu), hb goes to "far".
    expect(Object.fromEntries(Object.entries(guests).map(([n, g]) => [n, g.host]))).toEqual({
      [`${testPrefix}ha`]: "here",
      [`${testPrefix}hb`]: "far",
    });
    // Each guest's address is from its host's network: here libvirt's default, far its own.
    expect(guests[`${testPrefix}ha`]?.ipAddress).toMatch(/^192\.168\.122\.\d+$/);
    expect(guests[`${testPrefix}hb`]?.ipAddress.startsWith(`${farNet}.`)).toBe(true);
    for (const g of Object.values(guests)) {
      expect((await waitForConsole(g.consoleLog, /NIXLAB-DEMO-IP (\S+)/))[1]).toBe(g.ipAddress);
    }

    // What the copies put in the far host's store: the closure, the kernel image and its modules.
    const closure = guests[`${testPrefix}hb`]?.closurePath ?? "";
    const info = await execa("nix", ["path-info", "--store", `local?root=${remoteRoot}`, closure], {
      env: nixEnv(),
    });
    expect(info.stdout.trim()).toBe(closure);
    const farStore = readdirSync(path.join(remoteRoot, "nix", "store"));
    expect(farStore).toContain(path.basename(closure));
    expect(farStore.filter((e) => /-nixlab-kernel-(image|modules)$/.test(e))).toHaveLength(2);

    // One copy per store path and host, of the far host only; the guest there boots from them.
    const state = JSON.parse((await pulumi(["stack", "export"], hostsStack)).stdout) as {
      deployment: {
        resources: { type: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }[];
      };
    };
    const copies = state.deployment.resources.filter((r) => r.type === "nixlab:nix:Copy");
    expect(copies.map((c) => c.outputs.to)).toEqual(
      [far, far, far].map((f) => (f as { nixStore: string }).nixStore),
    );
    const farXml = await virsh(["dumpxml", `${testPrefix}hb`]);
    expect(farXml).toMatch(/<kernel>\/nix\/store\/[a-z0-9]{32}-nixlab-kernel-image<\/kernel>/);
    expect(farXml).toContain(
      `<source dir='${readOnlyView(farStore.map((e) => `/nix/store/${e}`).find((e) => e.endsWith("-nixlab-kernel-modules")) ?? "")}'/>`,
    );
    // The far domain was made through the ssh URI; the far network too, named for the stack.
    const nets = state.deployment.resources.filter((r) => r.type === "nixlab:libvirt:Network");
    expect(nets.map((n) => [n.outputs.name, n.outputs.uri, n.outputs.created])).toEqual([
      ["default", "qemu:///system", false],
      [poolOf(hostsStack), `qemu+ssh://${sshd.user}@127.0.0.1:${sshd.port}/system`, true],
    ]);
    const domains = state.deployment.resources.filter((r) => r.type === "nixlab:libvirt:Domain");
    expect(Object.fromEntries(domains.map((d) => [d.outputs.name, d.outputs.uri]))).toEqual({
      [`${testPrefix}ha`]: "qemu:///system",
      [`${testPrefix}hb`]: `qemu+ssh://${sshd.user}@127.0.0.1:${sshd.port}/system`,
    });
    // The key is in the state only encrypted.
    expect(JSON.stringify(state)).not.toContain("PRIVATE KEY");
    expect(await virsh(["pool-list", "--all", "--name"])).toContain(poolOf(hostsStack));
  });

  test("a host added in front moves no guest (the last deployment's placement is kept)", async () => {
    // Never contacted: no guest is placed there.
    const big = {
      name: "big",
      ssh: { ...(far as { ssh: object }).ssh, address: "127.0.0.2" },
      capacity: { vcpus: 64, memoryMiB: 65536 },
    };
    setLab(hostsStack, { hosts: [big, here, far], guests: [guest("ha", drive), guest("hb")] });
    const preview = await pulumi(["preview", "--diff"], hostsStack);
    expect(preview.all).not.toMatch(/to replace|to delete|to create/);
    // Without a placement to keep (a fresh stack), "big" would take both guests.
    setLab(hostsStack, { hosts: [here, far], guests: [guest("ha", drive), guest("hb")] });
  });

  test("the same guests on one host, while the two-host stack is up: its own pool, no collision", async () => {
    const up = await timedUp(oneStack);
    expect(up.all).toMatch(/created/);
    expect(Object.values(await outputs(oneStack)).map((g) => g.host)).toEqual(["local", "local"]);
    const pools = await virsh(["pool-list", "--all", "--name"]);
    expect(pools).toContain(poolOf(hostsStack));
    expect(pools).toContain(poolOf(oneStack));
    console.info(
      `up: two hosts ${seconds[hostsStack]?.toFixed(1)} s, one host ${seconds[oneStack]?.toFixed(1)} s (same guests)`,
    );
  });

  test("destroy leaves nothing on either host", async () => {
    const views = (await virsh(["dumpxml", `${testPrefix}hb`]))
      .split("\n")
      .flatMap((l) => /<source dir='([^']+-nixlab-kernel-modules)'/.exec(l)?.[1] ?? []);
    // The far guest's own view (the /nix/store view may serve other guests of this machine).
    expect(views).toHaveLength(1);
    for (const s of [hostsStack, oneStack]) await pulumi(["destroy", "--yes", "--skip-preview"], s);
    expect(
      (await virsh(["list", "--all", "--name"])).split("\n").filter((n) => n.startsWith(testPrefix)),
    ).toEqual([]);
    const pools = await virsh(["pool-list", "--all", "--name"]);
    expect(pools).not.toContain(poolOf(hostsStack));
    expect(pools).not.toContain(poolOf(oneStack));
    expect(await virsh(["net-list", "--all", "--name"])).not.toContain(poolOf(hostsStack));
    for (const s of [hostsStack, oneStack]) expect(existsSync(`/var/lib/nixlab/pools/${s}`)).toBe(false);
    for (const v of views) expect(existsSync(v)).toBe(false);
    expect(readdirSync(path.join(stateDir, "gcroots"))).toEqual([]);
  });
});
