// Extra test drives (fstests scratch/test devices, NVMe namespaces for blktests): empty volumes in
// a pool, attached as extra disks.
import type * as pulumi from "@pulumi/pulumi";
import { type DomainDiskArgs, type LibvirtSshArgs, Volume } from "../provider/sdk/libvirt";

export interface DriveArgs {
  /** Volume name suffix; the volume is named <guest>-<name>. */
  name: string;
  /** Bytes, or "20G" style. */
  size: number | string;
  format?: "qcow2" | "raw";
  bus?: "virtio" | "nvme" | "sata" | "scsi";
  /** Disk serial: stable /dev/disk/by-id names in the guest (default: the drive name). */
  serial?: string;
}

export function testDrives(
  guest: string,
  drives: DriveArgs[],
  pool: pulumi.Input<string>,
  uri: pulumi.Input<string>,
  parent: pulumi.Resource,
  ssh?: pulumi.Input<LibvirtSshArgs>,
): { volumes: Volume[]; disks: pulumi.Input<DomainDiskArgs>[] } {
  const volumes = drives.map(
    (d) =>
      new Volume(
        `${guest}-${d.name}`,
        {
          uri,
          pool,
          name: `${guest}-${d.name}.${d.format ?? "qcow2"}`,
          size: d.size,
          format: d.format ?? "qcow2",
          ...(ssh ? { ssh } : {}),
        },
        { parent },
      ),
  );
  const disks = volumes.map((v, i) => {
    const d = drives[i] as DriveArgs;
    return {
      pool,
      volume: v.name,
      format: d.format ?? "qcow2",
      bus: d.bus ?? "virtio",
      serial: d.serial ?? d.name,
    };
  });
  return { volumes, disks };
}
