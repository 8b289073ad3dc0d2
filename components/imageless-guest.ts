// ImagelessGuest: an imageless NixOS closure booted by libvirt with an external kernel, direct
// kernel boot from boot.json, and virtiofs shares: `store` (the host's /nix/store), `modules` (the
// kernel's lib/modules) and each `mounts.shares` tag the system mounts. Also outputs a script
// that boots the same guest with plain QEMU + virtiofsd, for hosts without libvirt.
import * as pulumi from "@pulumi/pulumi";
import { Domain } from "../provider/sdk/libvirt";
import type { BootJson } from "./boot-json";
import { type DriveArgs, testDrives } from "./drives";
import { type KernelSource, resolveKernel } from "./kernel";
import type { NixosClosure } from "./nixos-closure";
import { renderRunScript } from "./run-script";

export interface ImagelessGuestArgs {
  closure: NixosClosure;
  kernel: KernelSource;
  uri?: pulumi.Input<string>;
  vcpus?: number;
  memoryMiB?: number;
  /** libvirt network for the NIC (default: "default"). */
  network?: pulumi.Input<string>;
  /** Host folders for the system's own virtiofs tags (its mounts.shares), by tag. */
  shares?: Record<string, string>;
  /** Extra test drives; needs `pool`. */
  drives?: DriveArgs[];
  pool?: pulumi.Input<string>;
  extraKernelParams?: string[];
  sshUser?: string;
  /** Wait this long for the DHCP lease (default 300 s). */
  ipTimeoutSeconds?: number;
}

/** Tags of the shares nixlab itself provides, which the guest may only read. */
export const readOnlyTags = ["store", "modules"];

/** The virtiofs devices boot.json asks for, each with its host folder; a tag without one is an error. */
export function virtiofsSources(
  boot: BootJson,
  modulesDir: string,
  shares: Record<string, string>,
): { tag: string; source: string }[] {
  const known: Record<string, string> = { ...shares, store: "/nix/store", modules: modulesDir };
  return boot.virtiofs.map(({ tag, mountPoint }) => {
    const source = known[tag];
    if (!source)
      throw new Error(
        `${boot.systemName} mounts virtiofs tag "${tag}" at ${mountPoint}, but shares has no "${tag}"`,
      );
    return { tag, source };
  });
}

export class ImagelessGuest extends pulumi.ComponentResource {
  readonly domain: Domain;
  readonly ipAddress: pulumi.Output<string>;
  readonly sshCommand: pulumi.Output<string>;
  readonly consoleLog: pulumi.Output<string>;
  readonly closurePath: pulumi.Output<string>;
  /** The kernel image it boots (what a suite run records as the guest's kernel). */
  readonly kernelImage: pulumi.Output<string>;
  /** bash script booting the same guest with QEMU + virtiofsd (no libvirt). */
  readonly runScript: pulumi.Output<string>;

  constructor(name: string, args: ImagelessGuestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nixlab:components:ImagelessGuest", name, {}, opts);
    const uri = args.uri ?? "qemu:///system";
    const kernel = resolveKernel(name, args.kernel, this);
    const boot = args.closure.bootJson.apply((b) => {
      if (!b) throw new Error(`${name}: the closure is not an imageless system (no boot.json)`);
      return b;
    });
    const cmdline = boot.apply((b) => [b.cmdline, ...(args.extraKernelParams ?? [])].join(" "));
    const filesystems = pulumi
      .all([boot, kernel.modulesDir])
      .apply(([b, modules]) => virtiofsSources(b, modules, args.shares ?? {}));
    const drives = args.drives ?? [];
    if (drives.length > 0 && !args.pool) throw new Error(`${name}: drives need a pool`);
    const { disks } = testDrives(name, drives, args.pool ?? "", uri, this);
    const memoryMiB = args.memoryMiB ?? 2048;
    const vcpus = args.vcpus ?? 2;

    this.domain = new Domain(
      name,
      {
        uri,
        name,
        vcpus,
        memoryMiB,
        boot: { kernel: kernel.bzImage, initrd: boot.initrd, cmdline },
        // The host's store and the kernel's modules are shared read-only, enforced on the host
        // (guest root runs a test kernel and could remount a guest-side read-only mount).
        filesystems: filesystems.apply((fs) =>
          fs.map((f) => ({ source: f.source, tag: f.tag, readOnly: readOnlyTags.includes(f.tag) })),
        ),
        networkInterfaces: [{ network: args.network ?? "default" }],
        disks,
        ipTimeoutSeconds: args.ipTimeoutSeconds ?? 300,
      },
      { parent: this },
    );
    this.ipAddress = this.domain.ipAddress;
    this.sshCommand = pulumi.interpolate`ssh ${args.sshUser ?? "root"}@${this.domain.ipAddress}`;
    this.consoleLog = this.domain.consoleLogPath;
    this.closurePath = args.closure.closurePath;
    this.kernelImage = kernel.bzImage;
    this.runScript = pulumi.all([boot, kernel.bzImage, cmdline, filesystems]).apply(([b, bzImage, c, fs]) =>
      renderRunScript({
        name,
        kernel: bzImage,
        initrd: b.initrd,
        cmdline: c,
        memoryMiB,
        vcpus,
        shares: fs,
      }),
    );
    this.registerOutputs({
      ipAddress: this.ipAddress,
      sshCommand: this.sshCommand,
      consoleLog: this.consoleLog,
      closurePath: this.closurePath,
      runScript: this.runScript,
    });
  }
}
