// The libvirt resources against the real qemu:///system (KVM or TCG), driven through NixlabProvider as
// the engine drives them: a pool, a base image uploaded once (content-addressed), two overlays
// sharing it, an empty data volume, and a guest that direct-kernel-boots the test kernel with a
// fixture initramfs, mounts a virtiofs share, takes a DHCP lease on `default` and sees the data
// volume as vdb. Then out-of-band destroy/undefine, and bad input refused in Check.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { kvmUsable, localCpuFlags } from "../../provider/libvirt/host";
import { nixEnv } from "../support/env";
import { buildFixtureInitramfs, renderFixtureInit } from "../support/fixture-guest";
import { virsh, waitForConsole } from "../support/libvirt";
import { sweepLibvirtObjects } from "../support/libvirt-objects";
import { testKernel, testPrefix } from "../support/paths";
import { makeWorkDir, removeWorkDir } from "../support/workdir";
import { Engine, removeDomainFiles, urnOf } from "./harness";

type Props = Record<string, unknown>;

const run = `${testPrefix}res-`;
const poolName = `${run}pool`;
const domName = `${run}guest`;
const marker = "NIXLAB-RESOURCES-BOOTED";
// Quotes, <, > and & travel from the inputs through the XML into the guest's /proc/cmdline.
const cmdTag = `nixlab.tag="a&b<c>'d'"`;

const qemuImgChain = (file: string) =>
  JSON.parse(
    execFileSync("qemu-img", ["info", "--output=json", "-U", "--backing-chain", file], { encoding: "utf8" }),
  ) as {
    filename: string;
    format: string;
    "actual-size": number;
    "backing-filename"?: string;
    "backing-filename-format"?: string;
  }[];

/** The domain type this host really offers: kvm where libvirt offers it and the CPU runs it, else TCG. */
const hostDomainType = async () =>
  kvmUsable(await virsh(["capabilities"]), "x86_64", localCpuFlags()) ? "kvm" : "qemu";

const domainNames = async () => (await virsh(["list", "--all", "--name"])).split("\n").filter(Boolean);

describe("libvirt resources on qemu:///system", () => {
  const engine = new Engine();
  const domainOuts: Props[] = [];
  let work: string;
  let pool: { id: string; outs: Props };
  let base: { id: string; outs: Props };
  const overlays: { id: string; outs: Props }[] = [];
  let data: { id: string; outs: Props };
  let storeImage: string;

  beforeAll(async () => {
    work = makeWorkDir("libvirt-resources");
    // A 64 MiB qcow2 base with 8 MiB of data, added to the Nix store (as a NixOS image would be).
    const img = path.join(work, "base-image.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", img, "64M"]);
    execFileSync("qemu-io", ["-c", "write -P 0x5a 0 8M", img], { stdio: "ignore" });
    storeImage = (await execa("nix", ["store", "add-file", img], { env: nixEnv() })).stdout.trim();
  });

  afterAll(async () => {
    const left = sweepLibvirtObjects(run);
    if (left.length > 0) console.warn(`swept: ${left.join(", ")}`);
    // Files of domains that a failed test could not delete through the provider.
    for (const outs of domainOuts) removeDomainFiles(outs);
    removeWorkDir(work);
  });

  test("pool: defined, built, started, autostarted", async () => {
    pool = await engine.create(urnOf("Pool", "pool"), { name: poolName, path: path.join(work, "pool") });
    expect(pool.outs).toMatchObject({ name: poolName, active: true, autostart: true, createdDir: true });
    expect(existsSync(path.join(work, "pool"))).toBe(true);
    const read = await engine.read(urnOf("Pool", "pool"), pool.id, pool.outs);
    expect(read.props).toEqual(pool.outs);
  });

  test("base image: uploaded once under its store hash; two overlays share it and cost O(1)", async () => {
    const hash = path.basename(storeImage).slice(0, 32);
    base = await engine.create(urnOf("Volume", "base"), { pool: poolName, source: storeImage });
    expect(base.outs).toMatchObject({
      name: `${hash}-base-image.qcow2`,
      kind: "upload",
      actualFormat: "qcow2",
      created: true,
    });
    // A second resource for the same image finds it: nothing uploaded, never deleted by it.
    const again = await engine.create(urnOf("Volume", "base-again"), { pool: poolName, source: storeImage });
    expect(again.outs).toMatchObject({ name: base.outs.name, path: base.outs.path, created: false });
    await engine.delete(urnOf("Volume", "base-again"), again.id, again.outs);
    expect(existsSync(String(base.outs.path))).toBe(true);

    for (const i of [1, 2]) {
      const o = await engine.create(urnOf("Volume", `overlay${i}`), {
        pool: poolName,
        name: `${run}overlay${i}.qcow2`,
        backingVolume: base.outs.name,
      });
      expect(o.outs).toMatchObject({
        kind: "overlay",
        actualFormat: "qcow2",
        backingPath: base.outs.path,
        backingFormat: "qcow2",
      });
      overlays.push(o);
      const chain = qemuImgChain(String(o.outs.path));
      expect(chain.map((c) => c.filename)).toEqual([o.outs.path, base.outs.path]);
      expect(chain[0]?.["backing-filename-format"]).toBe("qcow2");
      expect(chain[0]?.["actual-size"]).toBeLessThan(1024 * 1024);
      expect(o.outs.capacity).toBe(64 * 1024 * 1024);
    }
    const baseSize = qemuImgChain(String(base.outs.path))[0]?.["actual-size"] ?? 0;
    expect(baseSize).toBeGreaterThan(8 * 1024 * 1024);
  });

  test("a base is not deleted while an overlay uses it", async () => {
    await engine.delete(urnOf("Volume", "base"), base.id, base.outs);
    expect(existsSync(String(base.outs.path))).toBe(true);
    const read = await engine.read(urnOf("Volume", "base"), base.id, base.outs);
    expect(read.id).toBe(base.id);
  });

  test("empty data volume; size grows in place", async () => {
    data = await engine.create(urnOf("Volume", "data"), {
      pool: poolName,
      name: `${run}data.raw`,
      size: "32M",
      format: "raw",
    });
    expect(data.outs).toMatchObject({ kind: "empty", capacity: 32 * 1024 ** 2, actualFormat: "raw" });
    const news = { pool: poolName, name: `${run}data.raw`, size: "64M", format: "raw" };
    const d = await engine.diff(urnOf("Volume", "data"), data.id, data.outs, news);
    expect(d).toMatchObject({ changes: true, replaces: [] });
    data.outs = await engine.update(urnOf("Volume", "data"), data.id, data.outs, news);
    expect(data.outs.capacity).toBe(64 * 1024 ** 2);
    const shrink = await engine.diff(urnOf("Volume", "data"), data.id, data.outs, { ...news, size: "16M" });
    expect(shrink.replaces).toEqual(["size"]);
  });

  describe("domain", () => {
    const urn = urnOf("Domain", "guest");
    let dom: { id: string; outs: Props; inputs: Props };
    let share: string;
    let inputs: Props;
    let consoleLog: string;

    beforeAll(async () => {
      share = path.join(work, "share");
      mkdirSync(share);
      writeFileSync(path.join(share, "hello.txt"), "from-the-host\n");
      const init = renderFixtureInit({
        marker,
        shares: [{ tag: "hostshare", mountpoint: "/mnt" }],
        dhcp: true,
        commands: [
          'echo "NIXLAB-VDB $(cat /sys/block/vdb/size)"',
          'echo "NIXLAB-SHARE $(cat /mnt/hello.txt)"',
          'echo "NIXLAB-CMDLINE $(cat /proc/cmdline)"',
        ],
        poweroff: false,
      });
      const initrd = await buildFixtureInitramfs(work, testKernel(), init);
      inputs = {
        name: domName,
        vcpus: 1,
        memoryMiB: 320,
        // The cached kernel is under /root (0700): the provider must copy it for QEMU's user.
        boot: { kernel: testKernel().vmlinuz, initrd, cmdline: `console=ttyS0 panic=-1 ${cmdTag}` },
        disks: [
          { pool: poolName, volume: overlays[0]?.outs.name },
          { pool: poolName, volume: `${run}data.raw`, format: "raw", serial: "nixlab-data" },
        ],
        networkInterfaces: [{ network: "default" }],
        filesystems: [{ source: share, tag: "hostshare" }],
        ipTimeoutSeconds: 120,
        shutdownTimeoutSeconds: 0,
      };
    });

    test("boots the kernel to its marker, mounts virtiofs, takes a lease, sees the data disk", async () => {
      const t0 = Date.now();
      dom = await engine.create(urn, inputs);
      domainOuts.push(dom.outs);
      const o = dom.outs;
      consoleLog = String(o.consoleLogPath);
      expect(consoleLog).toBe(`/var/log/libvirt/qemu/${domName}-console.log`);
      const m = await waitForConsole(consoleLog, new RegExp(marker));
      console.info(`create → marker: ${Date.now() - t0} ms`);
      expect(m).toBeTruthy();
      expect(o.domainType).toBe(await hostDomainType());
      expect(o.uuid).toBe(dom.id);
      expect(o.macAddresses).toEqual([expect.stringMatching(/^52:54:00(:[0-9a-f]{2}){3}$/)]);
      // The IP output is the address the guest itself took.
      const ip = await waitForConsole(consoleLog, /NIXLAB-IP (\S+)/);
      expect(o.ipAddress).toBe(ip[1]);
      expect(String(o.ipAddress)).toMatch(/^192\.168\.122\.\d+$/);
      expect((await waitForConsole(consoleLog, /NIXLAB-VDB (\d+)/))[1]).toBe(String((64 * 1024 ** 2) / 512));
      expect((await waitForConsole(consoleLog, /NIXLAB-SHARE (\S+)/))[1]).toBe("from-the-host");
      expect((await waitForConsole(consoleLog, /NIXLAB-CMDLINE (.*)/))[1]).toContain(cmdTag);
      // Kernel copied into a boot dir QEMU can read; the initrd (under /var/tmp) used in place.
      expect(String(o.kernelPath)).toMatch(new RegExp(`^/var/lib/libvirt/boot/nixlab/${dom.id}/kernel$`));
      expect(o.initrdPath).toBe((inputs.boot as Props).initrd);
      expect(o.createdFiles).toEqual([o.kernelPath]);
      expect(String(o.domainXml)).toContain("<type arch='x86_64' machine='pc-q35-");
      expect(o.state).toBe("running");
    });

    test("read of an unchanged domain shows no drift", async () => {
      const r = await engine.read(urn, dom.id, dom.outs);
      const d = await engine.diff(urn, dom.id, r.props, inputs);
      expect(d.changes).toBe(false);
    });

    test("memory change is an update (redefine + restart); a disk change replaces", async () => {
      const more = { ...inputs, memoryMiB: 384 };
      expect(await engine.diff(urn, dom.id, dom.outs, more)).toMatchObject({ changes: true, replaces: [] });
      const disks = { ...inputs, disks: [(inputs.disks as Props[])[0]] };
      expect(await engine.diff(urn, dom.id, dom.outs, disks)).toMatchObject({
        changes: true,
        replaces: ["disks"],
        deleteBeforeReplace: true,
      });
      const boot = { ...inputs, boot: { ...(inputs.boot as Props), cmdline: "console=ttyS0" } };
      expect((await engine.diff(urn, dom.id, dom.outs, boot)).replaces).toEqual(["boot"]);

      writeFileSync(consoleLog, "");
      dom.outs = await engine.update(urn, dom.id, dom.outs, more);
      inputs = more;
      expect(dom.outs.memoryMiB).toBe(384);
      expect(String(dom.outs.domainXml)).toMatch(/<memory unit='KiB'>393216<\/memory>/);
      // Restarted: it boots again and takes a lease again.
      await waitForConsole(consoleLog, new RegExp(marker));
      const ip = await waitForConsole(consoleLog, /NIXLAB-IP (\S+)/);
      expect(dom.outs.ipAddress).toBe(ip[1]);
    });

    test("out-of-band virsh destroy shows as drift; update starts it again", async () => {
      await virsh(["destroy", domName]);
      const r = await engine.read(urn, dom.id, dom.outs);
      expect(r.props).toMatchObject({ running: false, state: "shut off", ipAddress: "" });
      const d = await engine.diff(urn, dom.id, r.props, inputs);
      expect(d).toMatchObject({ changes: true, replaces: [] });
      dom.outs = await engine.update(urn, dom.id, r.props, inputs);
      expect(dom.outs.running).toBe(true);
      expect(dom.outs.state).toBe("running");
    });

    test("out-of-band vcpu change shows as drift", async () => {
      const xml = String(dom.outs.domainXml).replace(
        /<vcpu placement='static'>1<\/vcpu>/,
        "<vcpu placement='static'>2</vcpu>",
      );
      expect(xml).toContain(">2</vcpu>");
      const f = path.join(work, "edited.xml");
      writeFileSync(f, xml);
      await virsh(["define", f]);
      const r = await engine.read(urn, dom.id, dom.outs);
      expect(r.props.vcpus).toBe(2);
      expect((await engine.diff(urn, dom.id, r.props, inputs)).changes).toBe(true);
      dom.outs = await engine.update(urn, dom.id, r.props, inputs);
      expect(String(dom.outs.domainXml)).toContain(">1</vcpu>");
    });

    test("out-of-band undefine: read reports it gone and removes its files (the engine then drops it)", async () => {
      await virsh(["destroy", domName]);
      await virsh(["undefine", domName]);
      expect(existsSync(String(dom.outs.kernelPath))).toBe(true);
      const r = await engine.read(urn, dom.id, dom.outs);
      expect(r.id).toBe("");
      expect(existsSync(String(dom.outs.kernelPath))).toBe(false);
      expect(existsSync(path.dirname(String(dom.outs.kernelPath)))).toBe(false);
      expect(existsSync(consoleLog)).toBe(false);
      // A delete of the same state afterwards (no refresh in between) still succeeds.
      await engine.delete(urn, dom.id, dom.outs);
    });

    test("create + delete leaves no domain, file or NVRAM behind", async () => {
      const again = await engine.create(urn, { ...inputs, running: false });
      domainOuts.push(again.outs);
      expect(again.outs.state).toBe("shut off");
      expect(await domainNames()).toContain(domName);
      await engine.delete(urn, again.id, again.outs);
      expect(await domainNames()).not.toContain(domName);
      expect(existsSync(String(again.outs.kernelPath))).toBe(false);
      expect(existsSync(String(again.outs.consoleLogPath))).toBe(false);
    });
  });

  test("network: NAT with a DHCP range; read shows no drift; an existing one is adopted, never deleted", async () => {
    const urn = urnOf("Network", "net");
    const news = {
      name: `${run}net`,
      bridge: `nxr${process.pid % 100000}`,
      address: `10.214.${process.pid % 250}.1/24`,
      dhcp: { start: `10.214.${process.pid % 250}.100`, end: `10.214.${process.pid % 250}.120` },
    };
    const net = await engine.create(urn, news);
    expect(net.outs).toMatchObject({ created: true, active: true, bridgeName: news.bridge, autostart: true });
    const read = await engine.read(urn, net.id, net.outs);
    expect(read.props).toEqual(net.outs);
    expect(await engine.diff(urn, net.id, read.props, news)).toMatchObject({ changes: false });
    expect((await engine.diff(urn, net.id, read.props, { ...news, autostart: false })).replaces).toEqual([]);
    expect(
      (await engine.diff(urn, net.id, read.props, { ...news, dhcp: { ...news.dhcp, end: news.dhcp.start } }))
        .replaces,
    ).toEqual(["dhcp"]);

    const adopted = await engine.create(urnOf("Network", "default"), { name: "default", existing: true });
    expect(adopted.outs).toMatchObject({ created: false, bridgeName: "virbr0" });
    await engine.delete(urnOf("Network", "default"), adopted.id, adopted.outs);
    expect(await virsh(["net-info", "default"])).toMatch(/Active:\s+yes/);

    await engine.delete(urn, net.id, net.outs);
    expect(await virsh(["net-list", "--all", "--name"])).not.toContain(`${run}net`);
  });

  test("bad input fails in Check, naming the field, with nothing created", async () => {
    const before = { doms: await domainNames(), vols: await virsh(["vol-list", poolName]) };
    const failures = async (type: string, news: Props) =>
      ((await engine.check(urnOf(type, "bad"), news)).failures ?? []).map(
        (f) => `${f.property}: ${f.reason}`,
      );

    expect(
      await failures("Domain", { name: `${run}bad`, networkInterfaces: [{ network: `${run}no-such-net` }] }),
    ).toEqual([
      `networkInterfaces[0].network: no libvirt network named "${run}no-such-net" on qemu:///system`,
    ]);
    expect(await failures("Volume", { pool: poolName, name: `${run}bad.qcow2`, size: "12 bananas" })).toEqual(
      [expect.stringMatching(/^size: invalid size "12 bananas"/)],
    );
    expect(await failures("Domain", { name: `${run}bad`, boot: { kernel: "/nonexistent/vmlinuz" } })).toEqual(
      ["boot.kernel: no such file: /nonexistent/vmlinuz"],
    );
    expect(
      await failures("Domain", { name: `${run}bad`, disks: [{ pool: poolName, volume: "nope.qcow2" }] }),
    ).toEqual([`disks[0].volume: no volume "nope.qcow2" in pool "${poolName}"`]);
    expect(await failures("Volume", { pool: `${run}no-pool`, name: "x", size: "1M" })).toEqual([
      `pool: no libvirt storage pool named "${run}no-pool" on qemu:///system`,
    ]);
    expect(await failures("Network", { name: `${run}no-such-net`, existing: true })).toEqual([
      `name: no libvirt network named "${run}no-such-net" on qemu:///system`,
    ]);

    // A domain of that name that this resource does not own.
    const dup = `${run}dup`;
    const xml = path.join(work, "dup.xml");
    writeFileSync(
      xml,
      `<domain type='qemu'><name>${dup}</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>`,
    );
    await virsh(["define", xml]);
    try {
      expect(await failures("Domain", { name: dup })).toEqual([
        `name: a domain named "${dup}" already exists on qemu:///system`,
      ]);
    } finally {
      await virsh(["undefine", dup]);
    }
    expect(await domainNames()).toEqual(before.doms);
    expect(await virsh(["vol-list", poolName])).toEqual(before.vols);
  });

  test("volumes and pool delete cleanly, overlays first, then the base", async () => {
    await engine.delete(urnOf("Volume", "data"), data.id, data.outs);
    for (const [i, o] of overlays.entries())
      await engine.delete(urnOf("Volume", `overlay${i + 1}`), o.id, o.outs);
    await engine.delete(urnOf("Volume", "base"), base.id, base.outs);
    for (const v of [data, ...overlays, base]) expect(existsSync(String(v.outs.path))).toBe(false);
    expect((await engine.read(urnOf("Volume", "base"), base.id, base.outs)).id).toBe("");
    await engine.delete(urnOf("Pool", "pool"), pool.id, pool.outs);
    expect(existsSync(path.join(work, "pool"))).toBe(false);
    expect((await engine.read(urnOf("Pool", "pool"), pool.id, pool.outs)).id).toBe("");
    // The shared directory is the test's own: untouched.
    expect(readFileSync(path.join(work, "share", "hello.txt"), "utf8")).toBe("from-the-host\n");
  });
});
