// Domain XML from structured inputs, and the parts of `virsh dumpxml` that nixlab manages read
// back into the same shape (so a change made outside Pulumi shows as a diff).
import { attr, buildXml, child, children, has, parseXml, text, type XmlNode } from "./xml";

export type DiskBus = "virtio" | "nvme" | "sata" | "scsi";

export interface DiskShape {
  /** A pool volume… */
  pool?: string;
  volume?: string;
  /** …or a file on the libvirt host. */
  path?: string;
  format: "qcow2" | "raw";
  bus: DiskBus;
  serial?: string;
  readOnly: boolean;
}

export interface NicShape {
  network?: string;
  bridge?: string;
  mac?: string;
  model: string;
}

export interface BootShape {
  kernel: string;
  initrd?: string;
  cmdline?: string;
}

export interface FilesystemShape {
  source: string;
  tag: string;
  readOnly: boolean;
}

export interface CpuShape {
  mode: "host-passthrough" | "host-model" | "maximum" | "custom";
  model?: string;
}

/** Everything the generated XML says, in input terms. */
export interface DomainSpec {
  name: string;
  uuid: string;
  domainType: "kvm" | "qemu";
  vcpus: number;
  memoryMiB: number;
  machine: string;
  arch: string;
  cpu?: CpuShape;
  firmware: "bios" | "efi";
  disks: DiskShape[];
  nics: NicShape[];
  boot?: BootShape;
  filesystems: FilesystemShape[];
  consoleLog: string;
  /** Recorded in <metadata>: which Pulumi resource owns the domain. */
  urn?: string;
}

export const nixlabXmlns = "https://nixlab.dev/xmlns/libvirt-domain/1";
const qemuXmlns = "http://libvirt.org/schemas/domain/qemu/1.0";

const letters = (i: number): string => {
  // a..z, aa..az, … as libvirt names disks.
  let s = "";
  let n = i + 1;
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(97 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
};

/** Guest-side target names: vda, vdb… for virtio and NVMe (emulated on a virtio slot), sda… for SATA/SCSI. */
export function diskTargets(disks: readonly { bus: DiskBus }[]): string[] {
  let vd = 0;
  let sd = 0;
  return disks.map((d) =>
    d.bus === "sata" || d.bus === "scsi" ? `sd${letters(sd++)}` : `vd${letters(vd++)}`,
  );
}

/** libvirt 9 has no NVMe disk bus: the disk is defined as virtio and its frontend swapped via <qemu:override>. */
export const nvmeAlias = (i: number): string => `ua-nixlab-nvme${i}`;

export function domainXml(s: DomainSpec): string {
  const targets = diskTargets(s.disks);
  const nvme = s.disks.map((d, i) => ({ d, i })).filter(({ d }) => d.bus === "nvme");
  const disks = s.disks.map((d, i) => ({
    "@_type": d.path !== undefined ? "file" : "volume",
    "@_device": "disk",
    driver: { "@_name": "qemu", "@_type": d.format, "@_discard": "unmap" },
    source: d.path !== undefined ? { "@_file": d.path } : { "@_pool": d.pool, "@_volume": d.volume },
    target: { "@_dev": targets[i], "@_bus": d.bus === "nvme" ? "virtio" : d.bus },
    ...(d.serial !== undefined ? { serial: d.serial } : {}),
    ...(d.readOnly ? { readonly: "" } : {}),
    ...(d.bus === "nvme" ? { alias: { "@_name": nvmeAlias(i) } } : {}),
    // Disk boot: the first disk boots.
    ...(s.boot === undefined && i === 0 ? { boot: { "@_order": "1" } } : {}),
  }));
  const interfaces = s.nics.map((n) => ({
    "@_type": n.bridge !== undefined ? "bridge" : "network",
    ...(n.mac !== undefined ? { mac: { "@_address": n.mac } } : {}),
    source: n.bridge !== undefined ? { "@_bridge": n.bridge } : { "@_network": n.network },
    model: { "@_type": n.model },
  }));
  const filesystems = s.filesystems.map((f) => ({
    "@_type": "mount",
    "@_accessmode": "passthrough",
    driver: { "@_type": "virtiofs" },
    source: { "@_dir": f.source },
    target: { "@_dir": f.tag },
    ...(f.readOnly ? { readonly: "" } : {}),
  }));
  const scsi = s.disks.some((d) => d.bus === "scsi");
  const domain: XmlNode = {
    "@_type": s.domainType,
    ...(nvme.length > 0 ? { "@_xmlns:qemu": qemuXmlns } : {}),
    name: s.name,
    uuid: s.uuid,
    ...(s.urn !== undefined
      ? { metadata: { "nixlab:resource": { "@_xmlns:nixlab": nixlabXmlns, "nixlab:urn": s.urn } } }
      : {}),
    memory: { "@_unit": "MiB", "#text": String(s.memoryMiB) },
    // virtiofs needs guest memory that QEMU can share with virtiofsd.
    ...(s.filesystems.length > 0
      ? { memoryBacking: { source: { "@_type": "memfd" }, access: { "@_mode": "shared" } } }
      : {}),
    vcpu: String(s.vcpus),
    os: {
      ...(s.firmware === "efi" ? { "@_firmware": "efi" } : {}),
      type: { "@_arch": s.arch, "@_machine": s.machine, "#text": "hvm" },
      ...(s.boot
        ? {
            kernel: s.boot.kernel,
            ...(s.boot.initrd !== undefined ? { initrd: s.boot.initrd } : {}),
            ...(s.boot.cmdline !== undefined ? { cmdline: s.boot.cmdline } : {}),
          }
        : {}),
    },
    features: { acpi: "", apic: "" },
    ...(s.cpu
      ? {
          cpu: {
            "@_mode": s.cpu.mode,
            ...(s.cpu.model !== undefined ? { model: { "@_fallback": "forbid", "#text": s.cpu.model } } : {}),
          },
        }
      : {}),
    on_poweroff: "destroy",
    on_reboot: "restart",
    on_crash: "destroy",
    devices: {
      ...(scsi ? { controller: { "@_type": "scsi", "@_model": "virtio-scsi" } } : {}),
      disk: disks,
      filesystem: filesystems,
      interface: interfaces,
      serial: { "@_type": "file", source: { "@_path": s.consoleLog }, target: { "@_port": "0" } },
      console: {
        "@_type": "file",
        source: { "@_path": s.consoleLog },
        target: { "@_type": "serial", "@_port": "0" },
      },
      rng: { "@_model": "virtio", backend: { "@_model": "random", "#text": "/dev/urandom" } },
    },
    ...(nvme.length > 0
      ? {
          "qemu:override": {
            "qemu:device": nvme.map(({ i }) => ({
              "@_alias": nvmeAlias(i),
              "qemu:frontend": {
                "qemu:property": { "@_name": "driver", "@_type": "string", "@_value": "nvme" },
              },
            })),
          },
        }
      : {}),
  };
  return buildXml({ domain });
}

/** What a domain's XML says, in the shape of DomainSpec (without what libvirt adds on its own). */
export interface DomainLive {
  name: string;
  uuid: string;
  domainType: string;
  vcpus: number;
  memoryMiB: number;
  machine: string;
  arch: string;
  cpu?: CpuShape;
  firmware: "bios" | "efi";
  disks: DiskShape[];
  nics: NicShape[];
  boot?: BootShape;
  filesystems: FilesystemShape[];
  consoleLog?: string;
  urn?: string;
}

const kib = (node: XmlNode): number => {
  const unit = (attr(node, "unit") ?? "KiB").toLowerCase();
  const v = Number(text(node) ?? "0");
  const f: Record<string, number> = {
    b: 1 / 1024,
    bytes: 1 / 1024,
    k: 1,
    kib: 1,
    m: 1024,
    mib: 1024,
    g: 1024 ** 2,
    gib: 1024 ** 2,
  };
  return v * (f[unit] ?? 1);
};

export function parseDomainXml(xml: string): DomainLive {
  const doc = parseXml(xml, ["disk", "interface", "filesystem", "serial", "qemu:device", "qemu:property"]);
  const dom = child(doc, "domain");
  const os = child(dom, "os");
  const type = child(os, "type");
  const devices = child(dom, "devices");
  const nvmeAliases = new Set(
    children(child(dom, "qemu:override"), "qemu:device")
      .filter((d) =>
        children(child(d, "qemu:frontend"), "qemu:property").some(
          (p) => attr(p, "name") === "driver" && attr(p, "value") === "nvme",
        ),
      )
      .map((d) => attr(d, "alias")),
  );
  const disks: DiskShape[] = children(devices, "disk")
    .filter((d) => (attr(d, "device") ?? "disk") === "disk")
    .map((d) => {
      const src = child(d, "source");
      const bus = attr(child(d, "target"), "bus") ?? "virtio";
      const serial = text(d, "serial");
      const format = attr(child(d, "driver"), "type") === "qcow2" ? "qcow2" : "raw";
      return {
        ...(attr(d, "type") === "volume"
          ? { pool: attr(src, "pool") ?? "", volume: attr(src, "volume") ?? "" }
          : { path: attr(src, "file") ?? attr(src, "dev") ?? "" }),
        format,
        bus: (nvmeAliases.has(attr(child(d, "alias"), "name")) ? "nvme" : bus) as DiskBus,
        ...(serial !== undefined ? { serial } : {}),
        readOnly: has(d, "readonly"),
      };
    });
  const nics: NicShape[] = children(devices, "interface").map((n) => {
    const src = child(n, "source");
    const mac = attr(child(n, "mac"), "address");
    return {
      ...(attr(n, "type") === "bridge"
        ? { bridge: attr(src, "bridge") ?? "" }
        : { network: attr(src, "network") ?? "" }),
      ...(mac !== undefined ? { mac } : {}),
      model: attr(child(n, "model"), "type") ?? "",
    };
  });
  const filesystems: FilesystemShape[] = children(devices, "filesystem").map((f) => ({
    source: attr(child(f, "source"), "dir") ?? "",
    tag: attr(child(f, "target"), "dir") ?? "",
    readOnly: has(f, "readonly"),
  }));
  const kernel = text(os, "kernel");
  const initrd = text(os, "initrd");
  const cmdline = text(os, "cmdline");
  const cpuNode = has(dom, "cpu") ? child(dom, "cpu") : undefined;
  const cpuMode = attr(cpuNode, "mode");
  const cpuModel = text(cpuNode, "model");
  const serial = children(devices, "serial").find((s) => attr(s, "type") === "file");
  const consoleLog = attr(child(serial, "source"), "path");
  const urn = text(child(child(dom, "metadata"), "nixlab:resource"), "nixlab:urn");
  const loader = text(os, "loader");
  return {
    name: text(dom, "name") ?? "",
    uuid: text(dom, "uuid") ?? "",
    domainType: attr(dom, "type") ?? "",
    vcpus: Number(text(dom, "vcpu") ?? "1"),
    memoryMiB: Math.round(kib(child(dom, "memory")) / 1024),
    machine: attr(type, "machine") ?? "",
    arch: attr(type, "arch") ?? "",
    ...(cpuMode !== undefined && (cpuMode !== "custom" || cpuModel)
      ? { cpu: { mode: cpuMode as CpuShape["mode"], ...(cpuModel ? { model: cpuModel } : {}) } }
      : {}),
    firmware: attr(os, "firmware") === "efi" || (loader ?? "").includes("OVMF") ? "efi" : "bios",
    disks,
    nics,
    ...(kernel !== undefined
      ? { boot: { kernel, ...(initrd ? { initrd } : {}), ...(cmdline ? { cmdline } : {}) } }
      : {}),
    filesystems,
    ...(consoleLog !== undefined ? { consoleLog } : {}),
    ...(urn !== undefined ? { urn } : {}),
  };
}

/** Does libvirt's canonical machine type (pc-q35-7.2) stand for the one asked for (q35)? */
export function machineMatches(asked: string, live: string): boolean {
  if (asked === live) return true;
  if (asked === "pc") return live.startsWith("pc-i440fx-");
  return live.startsWith(`pc-${asked}-`);
}

/** `virsh domifaddr --source lease` rows: interface, MAC, protocol, address/prefix. */
export function parseDomIfAddr(
  out: string,
): { iface: string; mac: string; protocol: string; address: string }[] {
  const rows: { iface: string; mac: string; protocol: string; address: string }[] = [];
  for (const line of out.split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols.length === 4 && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(cols[1] ?? "")) {
      const [iface = "", mac = "", protocol = "", address = ""] = cols;
      rows.push({ iface, mac: mac.toLowerCase(), protocol, address: address.split("/")[0] ?? "" });
    }
  }
  return rows;
}
