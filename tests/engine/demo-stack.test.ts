// End to end: `pulumi up -s demo` of the repository's own program boots the demo fixture guest
// under libvirt (README Quick start). Then: a no-op up, drift after an out-of-band
// `virsh destroy` seen by refresh and repaired by up, and a destroy that leaves nothing behind.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { systemUri, virsh, waitForConsole } from "../support/libvirt";
import { type NixSpy, nixSpy } from "../support/nix-spy";
import { testPrefix } from "../support/paths";
import { type PulumiSandbox, pulumiSandbox } from "../support/pulumi";
import { rootProjectCopy } from "../support/root-project";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

// The committed demo template with its guest renamed to this run's prefix: the user's own demo
// guest (nixlab-demo) may be up, and is never touched.
const domain = `${testPrefix}demo-stack`;

/** The guest answers ping within the timeout (it may still be booting when its lease is already known). */
async function waitForPing(ip: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await execa("ping", ["-c", "1", "-W", "2", ip], { reject: false });
    if (r.exitCode === 0) return;
    if (Date.now() > deadline) throw new Error(`${ip} did not answer ping within ${timeoutMs} ms`);
  }
}

interface GuestOut {
  ipAddress: string;
  sshCommand: string;
  consoleLog: string;
  closurePath: string;
}

describe("the demo stack through the Pulumi engine", () => {
  let work: string;
  let project: string;
  let spy: NixSpy;
  let p: PulumiSandbox;
  let stateDir: string;

  beforeAll(async () => {
    work = makeWorkDir("engine-demo");
    project = rootProjectCopy(path.join(work, "project"), "demo", { guestName: domain });
    stateDir = path.join(work, "state");
    spy = nixSpy(work);
    p = pulumiSandbox(work, { NIXLAB_STATE_DIR: stateDir }, { pathPrepend: [spy.binDir] });
    await p.run(["stack", "init", "demo"], { cwd: project });
  });
  afterAll(async () => {
    await p.run(["destroy", "--yes", "--skip-preview", "-s", "demo"], { cwd: project, reject: false });
    await execa("virsh", ["-c", systemUri, "destroy", domain], { reject: false });
    await execa("virsh", ["-c", systemUri, "undefine", domain], { reject: false });
    removeWorkDir(work);
  });

  const outputs = async (): Promise<Record<string, GuestOut>> =>
    JSON.parse((await p.run(["stack", "output", "guests", "--json", "-s", "demo"], { cwd: project })).stdout);

  test("up boots the guest: IP reachable, marker on the console, closure built", async () => {
    const t0 = Date.now();
    const up = await p.run(["up", "--yes", "--skip-preview", "-s", "demo"], { cwd: project });
    console.info(`pulumi up -s demo: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(up.all).toMatch(/\+ 7 created/);
    const guest = (await outputs())[domain];
    if (!guest) throw new Error("no guest output");
    expect(guest.closurePath).toMatch(/^\/nix\/store\/[a-z0-9]{32}-nixlab-demo-system$/);
    expect(JSON.parse(readFileSync(path.join(guest.closurePath, "boot.json"), "utf8")).systemName).toBe(
      "nixlab-demo",
    );
    expect(guest.ipAddress).toMatch(/^192\.168\.122\.\d+$/);
    expect(guest.sshCommand).toBe(`ssh root@${guest.ipAddress}`);
    const marker = await waitForConsole(guest.consoleLog, /NIXLAB-DEMO-IP (\S+)/);
    expect(marker[1]).toBe(guest.ipAddress);
    expect(readFileSync(guest.consoleLog, "utf8")).toMatch(/NIXLAB-DEMO-BOOTED nixlab-demo/);
    await waitForPing(guest.ipAddress);
    expect(readdirSync(path.join(stateDir, "gcroots"))).toHaveLength(1);
  });

  test("a second up changes nothing and builds nothing", async () => {
    spy.reset();
    const t0 = Date.now();
    const up = await p.run(["up", "--yes", "-s", "demo"], { cwd: project });
    console.info(`no-op pulumi up -s demo: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(up.all).toMatch(/7 unchanged/);
    expect(up.all).not.toMatch(/to update|to create|to replace/);
    expect(spy.calls().filter((c) => c[0] === "build")).toEqual([]);
  });

  test("refresh sees an out-of-band virsh destroy and the next up repairs it", async () => {
    await virsh(["destroy", domain]);
    const refresh = await p.run(["refresh", "--yes", "--skip-preview", "-s", "demo"], { cwd: project });
    expect(refresh.all).toMatch(/~ 1 updated/);
    const up = await p.run(["up", "--yes", "--skip-preview", "-s", "demo"], { cwd: project });
    expect(up.all).toMatch(/~ 1 updated/);
    expect(await virsh(["domstate", domain])).toBe("running");
    const guest = (await outputs())[domain];
    await waitForPing(guest?.ipAddress ?? "");
  });

  test("destroy leaves no domain, GC root, boot copy or console log", async () => {
    const guest = (await outputs())[domain];
    const domainXml = await virsh(["dumpxml", domain]);
    const kernelCopy = /<kernel>([^<]+)<\/kernel>/.exec(domainXml)?.[1] ?? "";
    const t0 = Date.now();
    await p.run(["destroy", "--yes", "--skip-preview", "-s", "demo"], { cwd: project });
    console.info(`pulumi destroy -s demo: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect((await virsh(["list", "--all", "--name"])).split("\n")).not.toContain(domain);
    expect(readdirSync(path.join(stateDir, "gcroots"))).toEqual([]);
    expect(kernelCopy).toMatch(/^\/var\/lib\/libvirt\/boot\/nixlab\//);
    expect(existsSync(kernelCopy)).toBe(false);
    expect(existsSync(guest?.consoleLog ?? "")).toBe(false);
  });
});
