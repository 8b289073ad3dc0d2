// XML generation and parsing: every name, path and command line is escaped by the library,
// and what we generate reads back (through our parser) as what we asked for. The last test
// round-trips a hostile name and command line through the real libvirtd.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import {
  type DomainSpec,
  diskTargets,
  domainXml,
  machineMatches,
  parseDomainXml,
  parseDomIfAddr,
} from "../../provider/libvirt/domain-xml";
import {
  netmaskToPrefix,
  networkInputs,
  networkXml,
  parseNetworkXml,
  prefixToNetmask,
} from "../../provider/libvirt/network";
import { parsePoolXml, poolXml } from "../../provider/libvirt/pool";
import { parseVolumeXml, volumeXml } from "../../provider/libvirt/volume";
import { buildXml, parseXml } from "../../provider/libvirt/xml";
import { testPrefix } from "../support/paths";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const hostile = `a"b'c<d>&e`;

const spec = (over: Partial<DomainSpec> = {}): DomainSpec => ({
  name: `${testPrefix}xml-${hostile}`,
  uuid: "0b3a4b2e-7d0c-4c3e-9b7a-3f0e8c1d2a55",
  domainType: "qemu",
  vcpus: 2,
  memoryMiB: 384,
  machine: "q35",
  arch: "x86_64",
  firmware: "bios",
  disks: [
    { pool: `pool ${hostile}`, volume: `vol ${hostile}`, format: "qcow2", bus: "virtio", readOnly: false },
    { path: `/var/tmp/${hostile}.img`, format: "raw", bus: "nvme", serial: "NVME-1", readOnly: false },
    { path: "/var/tmp/ro.iso", format: "raw", bus: "sata", readOnly: true },
  ],
  nics: [
    { network: `net ${hostile}`, mac: "52:54:00:aa:bb:cc", model: "virtio" },
    { bridge: "br0", model: "e1000e" },
  ],
  boot: {
    kernel: `/boot/${hostile}/vmlinuz`,
    initrd: "/boot/initrd",
    cmdline: `console=ttyS0 x="<y> & 'z'"`,
  },
  filesystems: [{ source: `/srv/${hostile}`, tag: "share0", readOnly: false }],
  consoleLog: `/var/log/${hostile}.log`,
  urn: `urn:pulumi:s::p::nixlab:libvirt:Domain::${hostile}`,
  ...over,
});

describe("domain XML", () => {
  test("escapes names, paths and command lines", () => {
    const xml = domainXml(spec());
    expect(xml).toContain(`<name>${testPrefix}xml-a&quot;b&apos;c&lt;d&gt;&amp;e</name>`);
    expect(xml).toContain("<cmdline>console=ttyS0 x=&quot;&lt;y&gt; &amp; &apos;z&apos;&quot;</cmdline>");
    expect(xml).toContain('<source file="/var/tmp/a&quot;b&apos;c&lt;d&gt;&amp;e.img"/>');
    expect(xml).not.toMatch(/<d>|& |'z'/);
    // Well-formed: parses, and nothing leaked into structure.
    const doc = parseXml(xml);
    expect(Object.keys(doc)).toEqual(["domain"]);
  });

  test("reads back as what was asked", () => {
    const s = spec();
    const live = parseDomainXml(domainXml(s));
    expect(live).toEqual({
      name: s.name,
      uuid: s.uuid,
      domainType: "qemu",
      vcpus: 2,
      memoryMiB: 384,
      machine: "q35",
      arch: "x86_64",
      firmware: "bios",
      disks: s.disks,
      nics: s.nics,
      boot: s.boot,
      filesystems: s.filesystems,
      consoleLog: s.consoleLog,
      urn: s.urn,
    });
  });

  test("virtiofs brings the shared memfd backing; NVMe the qemu override; disk boot a boot order", () => {
    const xml = domainXml(spec());
    expect(xml).toMatch(/<memoryBacking>\s*<source type="memfd"\/>\s*<access mode="shared"\/>/);
    expect(xml).toContain('xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0"');
    expect(xml).toMatch(
      /<qemu:device alias="ua-nixlab-nvme1">\s*<qemu:frontend>\s*<qemu:property name="driver" type="string" value="nvme"\/>/,
    );
    expect(xml).not.toContain("<boot ");
    const plain = domainXml(
      spec({ filesystems: [], boot: undefined, disks: [spec().disks[0] as DomainSpec["disks"][0]] }),
    );
    expect(plain).not.toContain("memoryBacking");
    expect(plain).not.toContain("qemu:");
    expect(plain).toContain('<boot order="1"/>');
    expect(domainXml(spec({ firmware: "efi", cpu: { mode: "host-passthrough" } }))).toMatch(
      /<os firmware="efi">[\s\S]*<cpu mode="host-passthrough"\/>/,
    );
  });

  test("disk targets", () => {
    expect(
      diskTargets([{ bus: "virtio" }, { bus: "nvme" }, { bus: "sata" }, { bus: "scsi" }, { bus: "virtio" }]),
    ).toEqual(["vda", "vdb", "sda", "sdb", "vdc"]);
    expect(diskTargets(Array.from({ length: 28 }, () => ({ bus: "virtio" as const }))).slice(25)).toEqual([
      "vdz",
      "vdaa",
      "vdab",
    ]);
  });

  test("control characters are refused before they reach XML", () => {
    expect(() => domainXml(spec({ name: "a\u0007b" }))).toThrow(/control character/);
  });

  test("machine types, domifaddr", () => {
    expect(machineMatches("q35", "pc-q35-7.2")).toBe(true);
    expect(machineMatches("pc", "pc-i440fx-7.2")).toBe(true);
    expect(machineMatches("q35", "pc-i440fx-7.2")).toBe(false);
    const out = [
      " vnet3      52:54:00:0f:8c:01    ipv4         192.168.122.77/24",
      " -          -                    ipv6         fe80::1/64",
    ].join("\n");
    expect(parseDomIfAddr(out)).toEqual([
      { iface: "vnet3", mac: "52:54:00:0f:8c:01", protocol: "ipv4", address: "192.168.122.77" },
    ]);
  });
});

describe("pool, volume, network XML", () => {
  test("pool", () => {
    const xml = poolXml({ name: hostile, path: `/var/${hostile}` });
    expect(xml).toContain("<name>a&quot;b&apos;c&lt;d&gt;&amp;e</name>");
    expect(parsePoolXml(xml)).toMatchObject({ name: hostile, type: "dir", targetPath: `/var/${hostile}` });
  });

  test("volume: overlay with an explicit backing format, compat 1.1", () => {
    const xml = volumeXml({
      name: hostile,
      capacity: 1024 ** 3,
      format: "qcow2",
      backing: { path: `/p/${hostile}`, format: "qcow2" },
    });
    expect(xml).toMatch(
      /<backingStore>\s*<path>\/p\/a&quot;b&apos;c&lt;d&gt;&amp;e<\/path>\s*<format type="qcow2"\/>/,
    );
    expect(xml).toContain("<compat>1.1</compat>");
    const live = parseVolumeXml(xml.replace("<volume>", "<volume type='file'>"));
    expect(live).toMatchObject({
      name: hostile,
      capacity: 1024 ** 3,
      format: "qcow2",
      backingPath: `/p/${hostile}`,
      backingFormat: "qcow2",
    });
    expect(volumeXml({ name: "r", capacity: 5, format: "raw" })).not.toContain("compat");
  });

  test("network: NAT with a DHCP range, as libvirt writes it back", () => {
    const n = networkInputs.parse({
      name: hostile,
      address: "10.77.0.1/24",
      dhcp: { start: "10.77.0.10", end: "10.77.0.99" },
      domain: "lab",
    });
    const xml = networkXml(n);
    expect(xml).toContain('<forward mode="nat"/>');
    expect(xml).toContain('<ip address="10.77.0.1" netmask="255.255.255.0">');
    expect(parseNetworkXml(xml)).toEqual({
      uuid: "",
      name: hostile,
      mode: "nat",
      bridgeName: "",
      address: "10.77.0.1/24",
      dhcp: { start: "10.77.0.10", end: "10.77.0.99" },
      domain: "lab",
    });
    expect(prefixToNetmask(20)).toBe("255.255.240.0");
    expect(netmaskToPrefix("255.255.240.0")).toBe(20);
    expect(
      networkXml(networkInputs.parse({ name: "iso", mode: "isolated", address: "10.78.0.1/16" })),
    ).not.toContain("forward");
  });

  test("buildXml leaves out undefined values and empty lists", () => {
    expect(buildXml({ a: { b: undefined, c: [], d: "x" } })).toBe("<a>\n  <d>x</d>\n</a>\n");
  });
});

describe("through the real libvirtd", () => {
  test("a hostile name and command line survive define and dumpxml", () => {
    const s = spec({ disks: [], nics: [], filesystems: [], consoleLog: "/var/tmp/nixlab-xml-test.log" });
    const virsh = (args: string[]) =>
      execFileSync("virsh", ["-q", "-c", "qemu:///system", ...args], { encoding: "utf8" });
    const dir = makeWorkDir("libvirt-xml");
    try {
      writeFileSync(path.join(dir, "d.xml"), domainXml(s));
      virsh(["define", path.join(dir, "d.xml")]);
      const live = parseDomainXml(virsh(["dumpxml", "--inactive", s.uuid]));
      expect(live.name).toBe(s.name);
      expect(live.boot).toEqual(s.boot);
      expect(live.urn).toBe(s.urn);
      expect(machineMatches("q35", live.machine)).toBe(true);
    } finally {
      virsh(["undefine", s.uuid]);
      removeWorkDir(dir);
    }
  });
});
