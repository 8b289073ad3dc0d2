// The Lab's host checks against the real host: files on this machine, objects in the real
// qemu:///system (named with this run's prefix), /proc/meminfo, and a qemu+ssh:// URI to a
// loopback sshd standing in for a remote libvirt host.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { checkHost, parseMeminfo, parseNodeMemStats } from "../../components/host-checks";
import { labConfig } from "../../components/lab-config";
import { nixlabXmlns } from "../../provider/libvirt/domain-xml";
import { buildXml } from "../../provider/libvirt/xml";
import { systemUri, virsh } from "../support/libvirt";
import { sweepLibvirtObjects } from "../support/libvirt-objects";
import { testPrefix } from "../support/paths";
import { type LoopbackSshd, startSshd } from "../support/sshd";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const run = `${testPrefix}hc-`;
const ours = { stack: `hostcheck-${process.pid}`, project: "nixlab" };
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

  beforeAll(async () => {
    work = makeWorkDir("host-checks");
    poolDir = path.join(work, "pool-a");
    mkdirSync(poolDir);
    await define("define", idleDomainXml(`${run}foreign`), work);
    await define("define", idleDomainXml(`${run}other`, urn("someone-else", "other")), work);
    await define("define", idleDomainXml(`${run}mine`, urn(ours.stack, `${run}mine`)), work);
    await virsh(["start", `${run}mine`]);
    await define("net-define", buildXml({ network: { name: `${run}net` } }), work);
    await define(
      "pool-define",
      buildXml({ pool: { "@_type": "dir", name: `${run}pool`, target: { path: poolDir } } }),
      work,
    );
  });
  afterAll(() => {
    sweepLibvirtObjects(run);
    removeWorkDir(work);
  });

  test("kernel, modules and share folders must exist here, as a file and folders", () => {
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
    expect(checkHost(cfg, ours).problems).toEqual([
      `nixlab:lab.guests[0].kernel.bzImage: ${work}/missing/bzImage does not exist`,
      `nixlab:lab.guests[0].kernel.modulesDir: ${file} is not a directory`,
      `nixlab:lab.guests[0].shares.src: ${work}/no-such-dir does not exist`,
      `nixlab:lab.guests[0].shares.w: ${file} is not a directory`,
      `nixlab:lab.pool.path: ${file} is not a directory`,
    ]);
  });

  test("the cached test kernel, when a guest boots it, must be there", () => {
    const cfg = config({ guests: [demo(`${run}c`)] });
    expect(checkHost(cfg, ours).problems).toEqual([]);
    const saved = process.env.NIXLAB_CACHE_DIR;
    process.env.NIXLAB_CACHE_DIR = path.join(work, "empty-cache");
    try {
      expect(checkHost(cfg, ours).problems).toEqual([
        `nixlab:lab.guests[0].kernel: is not set, and no cached test kernel at ${work}/empty-cache/kernel/current: run scripts/setup-host (npm run setup); or set kernel: { bzImage, modulesDir }`,
      ]);
    } finally {
      if (saved === undefined) delete process.env.NIXLAB_CACHE_DIR;
      else process.env.NIXLAB_CACHE_DIR = saved;
    }
  });

  test("names held in libvirt by others are errors; this stack's own objects are not", () => {
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
    expect(checkHost(cfg, ours).problems).toEqual([
      `nixlab:lab.guests[0].name: a libvirt domain named ${run}foreign already exists on qemu:///system and was not created by nixlab for this stack`,
      `nixlab:lab.guests[1].name: a libvirt domain named ${run}other already exists on qemu:///system and belongs to stack someone-else of project nixlab`,
      `nixlab:lab.network.name: a libvirt network named ${run}net already exists on qemu:///system and was not created by nixlab for this stack`,
      `nixlab:lab.pool.name: a libvirt storage pool named ${run}pool already exists on qemu:///system and was not created by nixlab for this stack`,
    ]);
    // Another stack of the same project sees the "mine" domain as someone else's.
    expect(checkHost(cfg, { ...ours, stack: "other-stack" }).problems).toContain(
      `nixlab:lab.guests[2].name: a libvirt domain named ${run}mine already exists on qemu:///system and belongs to stack ${ours.stack} of project nixlab`,
    );
  });

  test("an existing network must exist; a new pool must not take another pool's folder", () => {
    const cfg = config({
      network: { name: `${run}nonet` },
      pool: { name: `${run}pool2`, path: `${poolDir}/` },
      guests: [demo(`${run}d`, { drives: [{ name: "d", size: "1G" }] })],
    });
    expect(checkHost(cfg, ours).problems).toEqual([
      `nixlab:lab.network.name: there is no libvirt network named ${run}nonet on qemu:///system (give network.address to have nixlab create it)`,
      `nixlab:lab.pool.path: ${poolDir}/ is already the directory of libvirt storage pool ${run}pool on qemu:///system`,
    ]);
  });

  test("memory: above the host's RAM is an error; above what is free, a warning that leaves out our running guests", () => {
    const { totalMiB, availableMiB } = memory();
    const tooBig = config({ guests: [demo(`${run}big`, { memoryMiB: totalMiB + 1 })] });
    const r = checkHost(tooBig, ours);
    expect(r.problems).toEqual([
      `nixlab:lab.guests[0].memoryMiB: ${totalMiB + 1} MiB is more than the host's ${totalMiB} MiB of RAM`,
    ]);
    // Two guests at 60 % of what is free: together too much, one alone fits.
    const each = Math.floor(availableMiB * 0.6);
    const pair = (first: string) =>
      config({ guests: [demo(first, { memoryMiB: each }), demo(`${run}second`, { memoryMiB: each })] });
    const both = checkHost(pair(`${run}first`), ours);
    expect(both.problems).toEqual([]);
    expect(both.warnings).toHaveLength(1);
    expect(both.warnings[0]).toMatch(
      new RegExp(
        `^nixlab:lab: the guests to start ask for ${2 * each} MiB in all, more than the \\d+ MiB the host has available \\(of ${totalMiB} MiB\\): they may fail to start or swap$`,
      ),
    );
    // The running "mine" domain is this stack's: its memory is already taken, only the other starts.
    expect(checkHost(pair(`${run}mine`), ours).warnings).toEqual([]);
    expect(checkHost(pair(`${run}mine`), { ...ours, stack: "other-stack" }).warnings).toHaveLength(1);
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

    test("paths on the remote host are skipped, saying so; names and memory are checked there", () => {
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
      const r = checkHost(cfg, ours);
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

  test("a libvirt that cannot be reached is an error naming the URI, with the reason", () => {
    const uri = "qemu+ssh://root@127.0.0.1:1/system";
    const r = checkHost(config({ uri, guests: [demo(`${run}u`)] }), ours);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(
      /^nixlab:lab\.uri: cannot reach libvirt at qemu\+ssh:\/\/root@127\.0\.0\.1:1\/system: .*Connection refused/,
    );
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
