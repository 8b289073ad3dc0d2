// The libvirt resources through the real Pulumi engine: preview, up, refresh (seeing an
// out-of-band destroy), an update, and destroy, of a project that makes its own NAT network,
// pool, base image, overlay, NVMe data drive and a direct-kernel-boot guest on that network.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { kvmUsable, localCpuFlags } from "../../provider/libvirt/host";
import { buildFixtureInitramfs, renderFixtureInit } from "../support/fixture-guest";
import { virsh, waitForConsole } from "../support/libvirt";
import { sweepLibvirtObjects } from "../support/libvirt-objects";
import { repoRoot, testKernel, testPrefix } from "../support/paths";
import { type PulumiSandbox, pulumiSandbox } from "../support/pulumi";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const project = path.join(repoRoot, "tests", "fixtures", "provider-libvirt");
const prefix = `${testPrefix}eng-`;
const marker = "NIXLAB-ENGINE-BOOTED";

describe("libvirt resources through the Pulumi engine", () => {
  let work: string;
  let p: PulumiSandbox;
  const stack = `libvirt${process.pid}`;
  const run = (args: string[]) => p.run([...args, "-s", stack], { cwd: project });
  const outputs = async (): Promise<Record<string, string>> =>
    JSON.parse((await run(["stack", "output", "--json"])).stdout);

  beforeAll(async () => {
    work = makeWorkDir("engine-libvirt");
    mkdirSync(path.join(work, "share"));
    writeFileSync(path.join(work, "share", "hello.txt"), "engine-share\n");
    const img = path.join(work, "base.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", img, "32M"]);
    execFileSync("qemu-io", ["-c", "write -P 0x11 0 4M", img], { stdio: "ignore" });
    const init = renderFixtureInit({
      marker,
      shares: [{ tag: "hostshare", mountpoint: "/mnt" }],
      dhcp: true,
      commands: ['echo "NIXLAB-SHARE $(cat /mnt/hello.txt)"'],
      poweroff: false,
    });
    const initrd = await buildFixtureInitramfs(work, testKernel(), init);
    p = pulumiSandbox(work);
    await p.run(["stack", "init", stack], { cwd: project });
    const config: Record<string, string> = {
      prefix,
      workDir: work,
      subnet: `10.213.${process.pid % 250}`,
      bridge: `nxt${process.pid % 100000}`,
      baseImage: img,
      kernel: testKernel().vmlinuz,
      initrd,
    };
    for (const [k, v] of Object.entries(config)) await run(["config", "set", k, v]);
  });

  afterAll(async () => {
    const outs = await outputs().catch(() => ({}) as Record<string, string>);
    await run(["destroy", "--yes", "--skip-preview"]).catch(() => undefined);
    // What a failed destroy could have left: the guest's boot copy and console log.
    if (outs.kernelPath?.startsWith("/var/lib/libvirt/boot/nixlab/"))
      rmSync(path.dirname(outs.kernelPath), { recursive: true, force: true });
    if (outs.consoleLogPath) rmSync(outs.consoleLogPath, { force: true });
    await p.run(["stack", "rm", "--yes", "--force", stack], { cwd: project, reject: false });
    const left = sweepLibvirtObjects(prefix);
    if (left.length > 0) console.warn(`swept: ${left.join(", ")}`);
    removeWorkDir(work);
  });

  test("preview of a program that makes its network, pool, volumes and guest together", async () => {
    // The guest's Check names a network and volumes that do not exist yet: declared by the
    // program's other resources, so the preview passes.
    const preview = await run(["preview"]);
    expect(preview.all).toMatch(/\+ 7 to create/);
  });

  test("up boots the guest on its own network; refresh sees nothing changed", async () => {
    const up = await run(["up", "--yes", "--skip-preview"]);
    expect(up.all).toMatch(/\+ 7 created/);
    const out = await outputs();
    // KVM where the host really offers it, TCG otherwise.
    const caps = await virsh(["capabilities"]);
    expect(out.domainType).toBe(kvmUsable(caps, "x86_64", localCpuFlags()) ? "kvm" : "qemu");
    await waitForConsole(out.consoleLogPath ?? "", new RegExp(marker));
    expect((await waitForConsole(out.consoleLogPath ?? "", /NIXLAB-SHARE (\S+)/))[1]).toBe("engine-share");
    const ip = await waitForConsole(out.consoleLogPath ?? "", /NIXLAB-IP (\S+)/);
    expect(out.ipAddress).toBe(ip[1]);
    expect(out.ipAddress).toMatch(new RegExp(`^10\\.213\\.${process.pid % 250}\\.`));
    expect(out.baseName).toMatch(/^sha256-[0-9a-f]{32}-base\.qcow2$/);
    // The NVMe test drive is an NVMe device in the guest.
    const qtree = await virsh(["qemu-monitor-command", `${prefix}guest`, "--hmp", "info qtree"]);
    expect(qtree).toMatch(/dev: nvme, id "ua-nixlab-nvme1"[\s\S]*?serial = "nixlab-nvme0"/);

    const refresh = await run(["refresh", "--yes", "--skip-preview"]);
    expect(refresh.all).toMatch(/7 unchanged/);
  });

  test("refresh shows an out-of-band destroy; up starts the guest again", async () => {
    await virsh(["destroy", `${prefix}guest`]);
    const refresh = await run(["refresh", "--yes", "--skip-preview"]);
    expect(refresh.all).toMatch(/~ 1 updated/);
    const preview = await run(["preview", "--diff"]);
    expect(preview.all).toMatch(/~ 1 to update/);
    const up = await run(["up", "--yes", "--skip-preview"]);
    expect(up.all).toMatch(/~ 1 updated/);
    expect((await virsh(["domstate", `${prefix}guest`])).trim()).toBe("running");
  });

  test("a memory change updates in place (no replacement)", async () => {
    await run(["config", "set", "memoryMiB", "320"]);
    const up = await run(["up", "--yes", "--skip-preview"]);
    expect(up.all).toMatch(/~ 1 updated/);
    expect(up.all).not.toMatch(/replaced/);
    expect(await virsh(["dumpxml", "--inactive", `${prefix}guest`])).toContain(
      "<memory unit='KiB'>327680</memory>",
    );
  });

  test("destroy leaves no domain, pool, network, volume or file behind", async () => {
    const out = await outputs();
    const down = await run(["destroy", "--yes", "--skip-preview"]);
    expect(down.all).toMatch(/- 7 deleted/);
    expect(await virsh(["list", "--all", "--name"])).not.toContain(prefix);
    expect(await virsh(["pool-list", "--all", "--name"])).not.toContain(prefix);
    expect(await virsh(["net-list", "--all", "--name"])).not.toContain(prefix);
    for (const f of [out.basePath, out.overlayPath, out.dataPath, out.kernelPath, out.consoleLogPath])
      expect(existsSync(f ?? "")).toBe(false);
    expect(existsSync(path.join(work, "pool"))).toBe(false);
  });
});
