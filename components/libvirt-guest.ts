// LibvirtGuest: a disk-booting guest whose root disk is a copy-on-write overlay on a Qcow2Image
// (O(1) to create, whatever the image's size), with extra test drives and a NIC on a network.
import * as pulumi from "@pulumi/pulumi";
import { Domain, Volume } from "../provider/sdk/libvirt";
import { type DriveArgs, testDrives } from "./drives";
import type { GuestHost } from "./host-store";
import type { Qcow2Image } from "./qcow2-image";

export interface LibvirtGuestArgs {
  image: Qcow2Image;
  uri?: pulumi.Input<string>;
  /** The libvirt host (its uri and ssh settings; default: `uri`). Its image must be in its pool. */
  host?: GuestHost;
  /** Pool for the overlay and drives (default: the image's pool). */
  pool?: pulumi.Input<string>;
  vcpus?: number;
  memoryMiB?: number;
  /** Virtual size of the root overlay (default: the image's). */
  diskSize?: number | string;
  network?: pulumi.Input<string>;
  drives?: DriveArgs[];
  sshUser?: string;
  ipTimeoutSeconds?: number;
}

export class LibvirtGuest extends pulumi.ComponentResource {
  readonly rootDisk: Volume;
  readonly domain: Domain;
  readonly ipAddress: pulumi.Output<string>;
  readonly sshCommand: pulumi.Output<string>;
  readonly consoleLog: pulumi.Output<string>;

  constructor(name: string, args: LibvirtGuestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nixlab:components:LibvirtGuest", name, {}, opts);
    const uri = args.host?.uri ?? args.uri ?? "qemu:///system";
    const ssh = args.host?.ssh;
    const after = args.host?.dependsOn ? { dependsOn: args.host.dependsOn } : {};
    const pool = args.pool ?? args.image.pool;
    this.rootDisk = new Volume(
      `${name}-root`,
      {
        uri,
        pool,
        name: `${name}-root.qcow2`,
        backingVolume: args.image.volumeName,
        backingPool: args.image.pool,
        format: "qcow2",
        ...(args.diskSize !== undefined ? { size: args.diskSize } : {}),
        ...(ssh ? { ssh } : {}),
      },
      { parent: this, ...after },
    );
    const { disks } = testDrives(name, args.drives ?? [], pool, uri, this, ssh);
    this.domain = new Domain(
      name,
      {
        uri,
        name,
        vcpus: args.vcpus ?? 2,
        memoryMiB: args.memoryMiB ?? 2048,
        disks: [{ pool, volume: this.rootDisk.name, format: "qcow2", bus: "virtio" }, ...disks],
        networkInterfaces: [{ network: args.network ?? "default" }],
        ipTimeoutSeconds: args.ipTimeoutSeconds ?? 600,
        ...(ssh ? { ssh } : {}),
      },
      { parent: this, ...after },
    );
    this.ipAddress = this.domain.ipAddress;
    this.sshCommand = pulumi.interpolate`ssh ${args.sshUser ?? "root"}@${this.domain.ipAddress}`;
    this.consoleLog = this.domain.consoleLogPath;
    this.registerOutputs({
      ipAddress: this.ipAddress,
      sshCommand: this.sshCommand,
      consoleLog: this.consoleLog,
    });
  }
}
