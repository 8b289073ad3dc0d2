// ImagelessGuest: an imageless NixOS closure booted by libvirt with an external kernel, direct
// kernel boot from boot.json, and virtiofs shares: `store` (the host's /nix/store), `modules` (the
// kernel's lib/modules) and each `mounts.shares` tag the system mounts. Also outputs a script
// that boots the same guest with plain QEMU + virtiofsd, for hosts without libvirt. On a host
// with its own Nix store (GuestHost.store), the closure and the kernel are copied there first.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Domain } from "../provider/sdk/libvirt";
import type { Copy } from "../provider/sdk/nix";
import type { BootJson } from "./boot-json";
import { type DriveArgs, testDrives } from "./drives";
import { type GuestHost, type HostStore, LocalStore, shortHash } from "./host-store";
import { type KernelSource, type ResolvedKernel, resolveKernel } from "./kernel";
import { hostCachedKernel } from "./locations";
import type { NixosClosure } from "./nixos-closure";
import { renderRunScript } from "./run-script";

export interface ImagelessGuestArgs {
  closure: NixosClosure;
  kernel: KernelSource;
  uri?: pulumi.Input<string>;
  /** The libvirt host (default: this machine through `uri`); one with its own store gets the closure and kernel copied. */
  host?: GuestHost;
  /** The closure's name on the host: one copy per name and host (default: this guest's name). */
  copyKey?: string;
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

/**
 * The kernel in a host's store: a kernel package's output is copied as it is; a bzImage and
 * modules folder outside the store (the user's build, the set-up's cache) are added to the
 * store here first. Copies are shared by every guest on the host with the same kernel.
 */
export function kernelOnHost(
  source: KernelSource,
  resolved: ResolvedKernel,
  store: HostStore,
  local: LocalStore,
): { kernel: ResolvedKernel; copies: Copy[] } {
  if ("flake" in source) {
    const out = resolved.bzImage.apply((p) => path.dirname(p));
    const c = store.copy(`kernel-${shortHash(`${source.flake}#${source.attribute}`)}`, out);
    return {
      kernel: {
        bzImage: c.storePath.apply((o) => path.join(o, "bzImage")),
        modulesDir: c.storePath.apply((o) => path.join(o, "lib", "modules")),
      },
      copies: [c],
    };
  }
  const files = "hostCache" in source ? hostCachedKernel() : source;
  const image = local.add(path.resolve(files.bzImage), "nixlab-kernel-image");
  const modules = local.add(path.resolve(files.modulesDir), "nixlab-kernel-modules");
  const ci = store.copy(`kernel-image-${shortHash(path.resolve(files.bzImage))}`, image.storePath);
  const cm = store.copy(`kernel-modules-${shortHash(path.resolve(files.modulesDir))}`, modules.storePath);
  return { kernel: { bzImage: ci.storePath, modulesDir: cm.storePath }, copies: [ci, cm] };
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
  /** The host it runs on (GuestHost.name; "local" for this machine). */
  readonly host: string;
  /** The copies to its host's store (closure, kernel) the domain waits for. */
  readonly copies: Copy[] = [];
  /** The kernel image it boots (what a suite run records as the guest's kernel). */
  readonly kernelImage: pulumi.Output<string>;
  /** bash script booting the same guest with QEMU + virtiofsd (no libvirt). */
  readonly runScript: pulumi.Output<string>;

  constructor(name: string, args: ImagelessGuestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nixlab:components:ImagelessGuest", name, {}, opts);
    const uri = args.host?.uri ?? args.uri ?? "qemu:///system";
    const ssh = args.host?.ssh;
    this.host = args.host?.name ?? "local";
    let kernel = resolveKernel(name, args.kernel, this);
    const store = args.host?.store;
    if (store) {
      const onHost = kernelOnHost(
        args.kernel,
        kernel,
        store,
        args.host?.localStore ?? new LocalStore(name, this),
      );
      kernel = onHost.kernel;
      this.copies.push(
        store.copy(`closure-${args.copyKey ?? name}`, args.closure.closurePath),
        ...onHost.copies,
      );
    }
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
    const { disks } = testDrives(name, drives, args.pool ?? "", uri, this, ssh);
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
        ...(ssh ? { ssh } : {}),
      },
      // On another host: defined once its closure and kernel are in that host's store.
      { parent: this, dependsOn: [...this.copies, ...((args.host?.dependsOn ?? []) as pulumi.Resource[])] },
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
