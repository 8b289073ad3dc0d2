import { existsSync, readFileSync } from "node:fs";
import { execa } from "execa";
import { XMLBuilder } from "fast-xml-parser";

export const systemUri = "qemu:///system";

export async function virsh(args: string[], uri = systemUri): Promise<string> {
  const { stdout } = await execa("virsh", ["-q", "-c", uri, ...args]);
  return stdout;
}

/** Poll a console log until `pattern` matches; returns the match. */
export async function waitForConsole(
  file: string,
  pattern: RegExp,
  timeoutMs = 120_000,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, "utf8") : "";
    const m = text.match(pattern);
    if (m) return m;
    if (Date.now() > deadline) {
      throw new Error(`no ${pattern} in ${file} after ${timeoutMs} ms; it ends with:\n${text.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface SmokeDomain {
  name: string;
  kernel: string;
  initrd: string;
  cmdline: string;
  consoleLog: string;
  memoryMiB?: number;
  shares?: { source: string; tag: string }[];
  network?: string;
}

/** Minimal direct-kernel-boot domain for the smoke tests (TCG: no KVM here). */
export function smokeDomainXml(d: SmokeDomain): string {
  const devices: Record<string, unknown> = {
    filesystem: (d.shares ?? []).map((s) => ({
      "@_type": "mount",
      "@_accessmode": "passthrough",
      driver: { "@_type": "virtiofs" },
      source: { "@_dir": s.source },
      target: { "@_dir": s.tag },
    })),
    interface: d.network
      ? [{ "@_type": "network", source: { "@_network": d.network }, model: { "@_type": "virtio" } }]
      : [],
    serial: { "@_type": "file", source: { "@_path": d.consoleLog }, target: { "@_port": "0" } },
    console: {
      "@_type": "file",
      source: { "@_path": d.consoleLog },
      target: { "@_type": "serial", "@_port": "0" },
    },
  };
  const domain = {
    domain: {
      "@_type": "qemu",
      name: d.name,
      memory: { "@_unit": "MiB", "#text": String(d.memoryMiB ?? 512) },
      vcpu: "1",
      // virtiofs needs guest memory QEMU can share with virtiofsd.
      memoryBacking: { source: { "@_type": "memfd" }, access: { "@_mode": "shared" } },
      os: {
        type: { "@_arch": "x86_64", "@_machine": "q35", "#text": "hvm" },
        kernel: d.kernel,
        initrd: d.initrd,
        cmdline: d.cmdline,
      },
      on_poweroff: "destroy",
      on_reboot: "destroy",
      devices,
    },
  };
  return new XMLBuilder({ ignoreAttributes: false, format: true, suppressEmptyNode: true }).build(domain);
}
