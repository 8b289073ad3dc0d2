// The Lab's host checks against the real host: files on this machine, objects in the real
// qemu:///system (named with this run's prefix), /proc/meminfo, and a qemu+ssh:// URI to a
// loopback sshd standing in for a remote libvirt host.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { checkHost, hostEffects, parseMeminfo, parseNodeMemStats } from "../../components/host-checks";
import { labConfig } from "../../components/lab-config";
import { type RecordedObject, recordedObjects } from "../../components/libvirt-ownership";
import { nixlabXmlns } from "../../provider/libvirt/domain-xml";
import { defaultDhcpRange } from "../../provider/libvirt/network";
import { buildXml } from "../../provider/libvirt/xml";
import { systemUri, virsh } from "../support/libvirt";
import { sweepLibvirtObjects } from "../support/libvirt-objects";
import { testPrefix } from "../support/paths";
import { type LoopbackSshd, startSshd } from "../support/sshd";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const run = `${testPrefix}hc-`;
const ours = { stack: `hostcheck-${process.pid}`, project: "nixlab", recorded: [] as RecordedObject[] };
const urn = (stack: string, name: string) =>
  `urn:pulumi:${stack}::nixlab::nixlab:components:Lab$nixlab:libvirt:Domain::${name}`;
const demo = (name: string, extra: object = {}) => ({
  name,
  backend: "imageless",
  closure: { demoFixture: true },
  memoryMiB: 128,
  ...extra,
});
const config = (raw: object) => labConfig.parse(raw);

/** A guest that needs nothing to run: no disk, no kernel (SeaBIOS finds nothing to boot and waits). */
function idleDomainXml(name: string, owner?: string): string {
  return buildXml({
    domain: {
      "@_type": "qemu",
      name,
      ...(owner
        ? { metadata: { "nixlab:resource": { "@_xmlns:nixlab": nixlabXmlns, "nixlab:urn": owner } } }
        : {}),
      memory: { "@_unit": "MiB", "#text": "32" },
      vcpu: "1",
      os: { type: { "@_arch": "x86_64", "#text": "hvm" } },
    },
  });
}

async function define(kind: "define" | "net-define" | "pool-define", xml: string, dir: string) {
  const file = path.join(dir, `${kind}.xml`);
  writeFileSync(file, xml);
  await virsh([kind, file]);
}

const memory = () => {
  const m = parseMeminfo(readFileSync("/proc/meminfo", "utf8"));
  if (!m?.availableMiB) throw new Error("no MemAvailable in /proc/meminfo");
  return { totalMiB: m.totalMiB, availableMiB: m.availableMiB };
};

describe("host checks", () => {
  let work: string;
  let poolDir: string;
  let emptyPoolDir: string;
  const net2 = { address: "192.168.232.1/24", dhcp: defaultDhcpRange("192.168.232.1/24") };

  beforeAll(async () => {
    work = makeWorkDir("host-checks");
    poolDir = path.join(work, "pool-a");
    mkdirSync(poolDir);
    await define("define", idleDomainXml(`${run}foreign`), work);
    await define("define", idleDomainXml(`${run}other`, urn("someone-else", "other")), work);
    await define("define", idleDomainXml(`${run}mine`, urn(ours.stack, `${run}mine`)), work);
    await virsh(["start", `${run}mine`]);
    await define("net-define", buildXml({ network: { name: `${run}net` } }), work);
    // As an interrupted create of a lab's network would leave it (defined, not started).
    await define(
      "net-define",
      buildXml({
        network: {
          name: `${run}net2`,
          ip: {
            "@_address": "192.168.232.1",
            "@_netmask": "255.255.255.0",
            dhcp: { range: { "@_start": net2.dhcp.start, "@_end": net2.dhcp.end } },
          },
        },
      }),
      work,
    );
    const pool = (name: string, dir: string) =>
      define("pool-define", buildXml({ pool: { "@_type": "dir", name, target: { path: dir } } }), work);
    await pool(`${run}pool`, poolDir);
    await virsh(["pool-start", `${run}pool`]);
    await virsh(["vol-create-as", `${run}pool`, "someones.raw", "1M", "--format", "raw"]);
    emptyPoolDir = path.join(work, "pool-e");
    mkdirSync(emptyPoolDir);
    await pool(`${run}pool-e`, emptyPoolDir);
  });
  afterAll(() => {
    sweepLibvirtObjects(run);
    removeWorkDir(work);
  });

  test("kernel, modules and share folders must exist here, as a file and folders", async () => {
    const file = path.join(work, "a-file");
    writeFileSync(file, "");
    const cfg = config({
      pool: { name: `${run}p`, path: file },
      guests: [
        {
          name: `${run}k`,
          backend: "imageless",
          memoryMiB: 128,
          kernel: { bzImage: path.join(work, "missing", "bzImage"), modulesDir: file },
          drives: [{ name: "d", size: "1G" }],
          closure: { spec: { shares: { "/src": { tag: "src" }, "/w": { tag: "w" } } } },
          shares: { src: path.join(work, "no-such-dir"), w: file },
        },
      ],
    });
    expect((await checkHost(cfg, ours)).problems).toEqual([
      `nixlab:lab.guests[0].kernel.bzImage: ${work}/missing/bzImage does not exist`,
      `nixlab:lab.guests[0].kernel.modulesDir: ${file} is not a directory`,
      `nixlab:lab.guests[0].shares.src: ${work}/no-such-dir does not exist`,
      `nixlab:lab.guests[0].shares.w: ${file} is not a directory`,
      `nixlab:lab.pool.path: ${file} is not a directory`,
    ]);
  });

  test("the cached test kernel, when a guest boots it, must be there", async () => {
    const cfg = config({ guests: [demo(`${run}c`)] });
    expect((await checkHost(cfg, ours)).problems).toEqual([]);
    const saved = process.env.NIXLAB_CACHE_DIR;
    process.env.NIXLAB_CACHE_DIR = path.join(work, "empty-cache");
    try {
      expect((await checkHost(cfg, ours)).problems).toEqual([
        `nixlab:lab.guests[0].kernel: is not set, and no cached test kernel at ${work}/empty-cache/kernel/current: run scripts/setup-host (npm run setup); or set kernel: { bzImage, modulesDir }`,
      ]);
    } finally {
      if (saved === undefined) delete process.env.NIXLAB_CACHE_DIR;
      else process.env.NIXLAB_CACHE_DIR = saved;
    }
  });

  test("names held in libvirt by others are errors; this stack's own objects are not", async () => {
    const cfg = config({
      network: { name: `${run}net`, address: "192.168.231.1/24" },
      pool: { name: `${run}pool`, path: poolDir },
      guests: [
        demo(`${run}foreign`),
        demo(`${run}other`),
        demo(`${run}mine`),
        demo(`${run}new`, { drives: [{ name: "d", size: "1G" }] }),
      ],
    });
    expect((await checkHost(cfg, ours)).problems).toEqual([
      `nixlab:lab.guests[0].name: a libvirt domain named ${run}foreign already exists on qemu:///system and was not created by nixlab for this stack`,
      `nixlab:lab.guests[1].name: a libvirt domain named ${run}other already exists on qemu:///system and belongs to stack someone-else of project nixlab`,
      `nixlab:lab.network.name: a libvirt network named ${run}net already exists on qemu:///system and is not this stack's (no address)`,
      `nixlab:lab.pool.name: a libvirt storage pool named ${run}pool already exists on qemu:///system and is not this stack's (it holds 1 volume(s))`,
    ]);
    // What this stack's state records is its own, whatever it holds now.
    const recorded: RecordedObject[] = [
      { kind: "network", uri: systemUri, name: `${run}net` },
      { kind: "pool", uri: systemUri, name: `${run}pool` },
      { kind: "domain", uri: systemUri, name: `${run}foreign` },
      { kind: "domain", uri: "qemu+ssh://elsewhere/system", name: `${run}other` },
    ];
    expect((await checkHost(cfg, { ...ours, recorded })).problems).toEqual([
      `nixlab:lab.guests[1].name: a libvirt domain named ${run}other already exists on qemu:///system and belongs to stack someone-else of project nixlab`,
    ]);
    // Another stack of the same project sees the "mine" domain as someone else's.
    expect((await checkHost(cfg, { ...ours, stack: "other-stack" })).problems).toContain(
      `nixlab:lab.guests[2].name: a libvirt domain named ${run}mine already exists on qemu:///system and belongs to stack ${ours.stack} of project nixlab`,
    );
  });

  test("a lab whose objects this stack recorded costs one virsh process: the lists, no XML read", async () => {
    const calls: string[][] = [];
    const counting = {
      ...hostEffects,
      virsh: (uri: string, args: readonly string[]) => {
        calls.push([...args]);
        return hostEffects.virsh(uri, args);
      },
    };
    const raw = {
      network: { name: `${run}net`, address: "192.168.231.1/24" },
      pool: { name: `${run}pool`, path: poolDir },
      guests: [demo(`${run}mine`, { drives: [{ name: "d", size: "1G" }] }), demo(`${run}foreign`)],
    };
    const cfg = config(raw);
    const recorded: RecordedObject[] = [
      { kind: "network", uri: systemUri, name: `${run}net` },
      { kind: "pool", uri: systemUri, name: `${run}pool` },
      { kind: "domain", uri: systemUri, name: `${run}mine` },
      { kind: "domain", uri: systemUri, name: `${run}foreign` },
    ];
    const report = await checkHost(cfg, { ...ours, recorded }, counting);
    expect(report.problems).toEqual([]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[0]).toMatch(/^list --all --name ; echo .* ; pool-list --all --name ; echo \S+$/);
    // The running guest of this stack is still known as running: its memory is not asked for again.
    const asked = (m: number) =>
      checkHost(
        config({
          ...raw,
          guests: [demo(`${run}mine`, { memoryMiB: m, drives: [{ name: "d", size: "1G" }] })],
        }),
        { ...ours, recorded },
        counting,
      );
    expect((await asked(memory().availableMiB + 64)).warnings).toEqual([]);
    // A guest that is not running yet does need it.
    expect(
      (
        await checkHost(
          config({
            ...raw,
            guests: [
              demo(`${run}foreign`, {
                memoryMiB: memory().availableMiB + 64,
                drives: [{ name: "d", size: "1G" }],
              }),
            ],
          }),
          { ...ours, recorded },
          counting,
        )
      ).warnings,
    ).toHaveLength(1);
  });

  test("what an interrupted create of this lab would leave is not a collision (the provider takes it over)", async () => {
    const lab = (network: object, poolPath: string) =>
      config({
        network: { name: `${run}net2`, ...network },
        pool: { name: `${run}pool-e`, path: poolPath },
        guests: [demo(`${run}t`, { drives: [{ name: "d", size: "1G" }] })],
      });
    expect((await checkHost(lab({ address: net2.address }, emptyPoolDir), ours)).problems).toEqual([]);
    const other = path.join(work, "elsewhere");
    expect(
      (
        await checkHost(
          lab({ address: net2.address, dhcp: { start: "192.168.232.10", end: "192.168.232.20" } }, other),
          ours,
        )
      ).problems,
    ).toEqual([
      `nixlab:lab.network.name: a libvirt network named ${run}net2 already exists on qemu:///system and is not this stack's (192.168.232.1/24, DHCP ${net2.dhcp.start}-${net2.dhcp.end})`,
      `nixlab:lab.pool.name: a libvirt storage pool named ${run}pool-e already exists on qemu:///system and is not this stack's (its directory is ${emptyPoolDir})`,
    ]);
  });

  test("an existing network must exist; a new pool must not take another pool's folder", async () => {
    const cfg = config({
      network: { name: `${run}nonet` },
      pool: { name: `${run}pool2`, path: `${poolDir}/` },
      guests: [demo(`${run}d`, { drives: [{ name: "d", size: "1G" }] })],
    });
    expect((await checkHost(cfg, ours)).problems).toEqual([
      `nixlab:lab.network.name: there is no libvirt network named ${run}nonet on qemu:///system (give network.address to have nixlab create it)`,
      `nixlab:lab.pool.path: ${poolDir}/ is already the directory of libvirt storage pool ${run}pool on qemu:///system`,
    ]);
  });

  test("memory: above the host's RAM is an error; above what is free, a warning that leaves out our running guests", async () => {
    const { totalMiB, availableMiB } = memory();
    const tooBig = config({ guests: [demo(`${run}big`, { memoryMiB: totalMiB + 1 })] });
    const r = await checkHost(tooBig, ours);
    expect(r.problems).toEqual([
      `nixlab:lab.guests[0].memoryMiB: ${totalMiB + 1} MiB is more than the host's ${totalMiB} MiB of RAM`,
    ]);
    // Two guests at 60 % of what is free: together too much, one alone fits.
    const each = Math.floor(availableMiB * 0.6);
    const pair = (first: string) =>
      config({ guests: [demo(first, { memoryMiB: each }), demo(`${run}second`, { memoryMiB: each })] });
    const both = await checkHost(pair(`${run}first`), ours);
    expect(both.problems).toEqual([]);
    expect(both.warnings).toHaveLength(1);
    expect(both.warnings[0]).toMatch(
      new RegExp(
        `^nixlab:lab: the guests to start ask for ${2 * each} MiB in all, more than the \\d+ MiB the host has available \\(of ${totalMiB} MiB\\): they may fail to start or swap$`,
      ),
    );
    // The running "mine" domain is this stack's: its memory is already taken, only the other starts.
    expect((await checkHost(pair(`${run}mine`), ours)).warnings).toEqual([]);
    expect((await checkHost(pair(`${run}mine`), { ...ours, stack: "other-stack" })).warnings).toHaveLength(1);
  });

  describe("over qemu+ssh:// (a loopback sshd)", () => {
    let sshd: LoopbackSshd;
    let uri: string;
    beforeAll(async () => {
      sshd = await startSshd(path.join(work, "sshd"));
      const ssh = path.join(work, "ssh");
      writeFileSync(
        ssh,
        `#!/bin/sh\nexec ssh -o UserKnownHostsFile=${sshd.knownHostsFile} -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes "$@"\n`,
      );
      chmodSync(ssh, 0o755);
      uri = `qemu+ssh://${sshd.user}@${sshd.host}:${sshd.port}/system?keyfile=${sshd.identityFile}&command=${ssh}`;
    });
    afterAll(async () => {
      await sshd.stop();
    });

    test("paths on the remote host are skipped, saying so; names and memory are checked there", async () => {
      const { totalMiB } = memory();
      const cfg = config({
        uri,
        guests: [
          demo(`${run}foreign`, {
            kernel: { bzImage: "/remote/bzImage", modulesDir: "/remote/lib/modules" },
            memoryMiB: totalMiB + 1,
            closure: { spec: { shares: { "/src": { tag: "src" } } } },
            shares: { src: "/remote/src" },
          }),
        ],
      });
      const r = await checkHost(cfg, ours);
      expect(r.skipped).toEqual([
        `nixlab:lab: 3 kernel, modules and share path(s) not checked: they are on the libvirt host of ${uri}`,
      ]);
      // virsh nodememstats over ssh: the same machine here, so the same RAM as /proc/meminfo.
      expect(r.problems).toEqual([
        `nixlab:lab.guests[0].name: a libvirt domain named ${run}foreign already exists on ${uri} and was not created by nixlab for this stack`,
        `nixlab:lab.guests[0].memoryMiB: ${totalMiB + 1} MiB is more than the host's ${totalMiB} MiB of RAM`,
      ]);
    });
  });

  test("a libvirt that cannot be reached is an error naming the URI, with the reason", async () => {
    const uri = "qemu+ssh://root@127.0.0.1:1/system";
    const r = await checkHost(config({ uri, guests: [demo(`${run}u`)] }), ours);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(
      /^nixlab:lab\.uri: cannot reach libvirt at qemu\+ssh:\/\/root@127\.0\.0\.1:1\/system: .*Connection refused/,
    );
  });

  test("the engine's answer about this stack's resources: its libvirt objects by kind, URI and name", () => {
    const answer = {
      name: "dev",
      outputs: {
        "urn:pulumi:dev::nixlab::pulumi:pulumi:Stack::nixlab-dev": {
          type: "pulumi:pulumi:Stack",
          outputs: {},
        },
        "urn:pulumi:dev::nixlab::nixlab:components:Lab$nixlab:libvirt:Pool::lab-pool": {
          type: "nixlab:libvirt:Pool",
          outputs: { uri: "qemu:///system", name: "nixlab", targetPath: "/var/lib/nixlab/pool" },
        },
        "urn:pulumi:dev::nixlab::nixlab:components:Lab$nixlab:libvirt:Network::lab-network": {
          type: "nixlab:libvirt:Network",
          outputs: { uri: "qemu:///system", name: "nixlab-nfs" },
        },
        "urn:pulumi:dev::nixlab::nixlab:libvirt:Domain::broken": {
          type: "nixlab:libvirt:Domain",
          outputs: {},
        },
      },
    };
    expect(recordedObjects(answer)).toEqual([
      { kind: "pool", uri: "qemu:///system", name: "nixlab" },
      { kind: "network", uri: "qemu:///system", name: "nixlab-nfs" },
    ]);
    expect(recordedObjects({ name: "dev", outputs: {} })).toEqual([]);
    expect(recordedObjects(undefined)).toEqual([]);
  });

  test("when this stack's state cannot be read, that is said, and pools and networks are judged by what they are", async () => {
    const cfg = config({
      network: { name: `${run}net2`, address: net2.address },
      guests: [demo(`${run}s`)],
    });
    const r = await checkHost(cfg, { ...ours, recorded: { unreadable: "no backend" } });
    expect(r.problems).toEqual([]);
    expect(r.skipped).toEqual([
      "nixlab:lab: this stack's state could not be read (no backend): a network or pool that exists is judged by what it is",
    ]);
  });

  test("memory figures: /proc/meminfo and virsh nodememstats as this libvirt prints them", async () => {
    expect(parseMeminfo("MemTotal:  2048000 kB\nMemFree: 10 kB\nMemAvailable:  1024000 kB\n")).toEqual({
      totalMiB: 2000,
      availableMiB: 1000,
    });
    const stats = await virsh(["nodememstats"], systemUri);
    const parsed = parseNodeMemStats(stats);
    expect(parsed?.totalMiB).toBe(memory().totalMiB);
    expect(parsed?.availableMiB).toBeGreaterThan(0);
  });
});
