// A tiny test guest: a busybox initramfs whose /init loads the virtio modules of the cached
// Debian kernel, prints a marker, and does what the test asks (mount virtiofs shares, take a
// DHCP lease, run commands), then powers off. Boots to its marker in seconds under TCG.
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { hostBusybox } from "./nix-fixture";
import type { TestKernel } from "./paths";

/** Load order matters: each module's dependencies come before it. */
export const virtioModules = [
  "kernel/drivers/virtio/virtio_ring.ko",
  "kernel/drivers/virtio/virtio.ko",
  "kernel/drivers/virtio/virtio_pci_modern_dev.ko",
  "kernel/drivers/virtio/virtio_pci_legacy_dev.ko",
  "kernel/drivers/virtio/virtio_pci.ko",
  "kernel/fs/fuse/fuse.ko",
  "kernel/fs/fuse/virtiofs.ko",
  "kernel/drivers/block/virtio_blk.ko",
  "kernel/net/core/failover.ko",
  "kernel/drivers/net/net_failover.ko",
  "kernel/drivers/net/virtio_net.ko",
];

export interface FixtureInitOptions {
  marker: string;
  shares?: { tag: string; mountpoint: string }[];
  /** Take a DHCP lease on eth0 and print `NIXLAB-IP <address>`. */
  dhcp?: boolean;
  /** Shell lines run after the mounts (busybox sh). */
  commands?: string[];
  /** Power off at the end (default), or idle so the guest stays up. */
  poweroff?: boolean;
}

const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** The /init script; pure, so it can be unit-tested. */
export function renderFixtureInit(opts: FixtureInitOptions): string {
  const lines = [
    "#!/bin/busybox sh",
    "/bin/busybox --install -s /bin",
    "mount -t devtmpfs dev /dev",
    // No /dev/console node in the archive (creating one needs root): attach it ourselves.
    "exec 0<>/dev/console 1>&0 2>&0",
    "mount -t proc proc /proc",
    "mount -t sysfs sys /sys",
    ...virtioModules.map((m) => `insmod /modules/${path.basename(m)}`),
    `echo ${quote(opts.marker)}`,
  ];
  for (const share of opts.shares ?? []) {
    lines.push(
      `mkdir -p ${quote(share.mountpoint)}`,
      `mount -t virtiofs ${quote(share.tag)} ${quote(share.mountpoint)} || echo ${quote(`NIXLAB-MOUNT-FAILED ${share.tag}`)}`,
    );
  }
  if (opts.dhcp) {
    lines.push(
      "ip link set eth0 up",
      // udhcpc's default script is absent; print the lease ourselves.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
      'printf \'#!/bin/sh\\n[ "$1" = bound ] && ip addr add "$ip/${mask:-24}" dev "$interface" && echo "NIXLAB-IP $ip"\\nexit 0\\n\' > /bin/lease',
      "chmod +x /bin/lease",
      "udhcpc -i eth0 -n -q -t 20 -T 2 -s /bin/lease || echo NIXLAB-DHCP-FAILED",
    );
  }
  lines.push(...(opts.commands ?? []));
  lines.push(opts.poweroff === false ? "while :; do sleep 3600; done" : "poweroff -f");
  return `${lines.join("\n")}\n`;
}

/** Write `<dir>/initrd.cpio.gz` for the given kernel and init script; returns its path. */
export async function buildFixtureInitramfs(dir: string, kernel: TestKernel, init: string): Promise<string> {
  const root = path.join(dir, "initramfs-root");
  for (const sub of ["bin", "dev", "proc", "sys", "modules"])
    mkdirSync(path.join(root, sub), { recursive: true });
  copyFileSync(hostBusybox, path.join(root, "bin", "busybox"));
  chmodSync(path.join(root, "bin", "busybox"), 0o755);
  for (const m of virtioModules)
    copyFileSync(path.join(kernel.modulesDir, m), path.join(root, "modules", path.basename(m)));
  writeFileSync(path.join(root, "init"), init, { mode: 0o755 });
  const { stdout: files } = await execa(hostBusybox, ["find", "."], { cwd: root });
  const out = path.join(dir, "initrd.cpio");
  await execa(hostBusybox, ["cpio", "-o", "-H", "newc"], { cwd: root, input: files, stdout: { file: out } });
  await execa(hostBusybox, ["gzip", "-f", out]);
  return `${out}.gz`;
}
