// Program-side classes for the libvirt resources of the nixlab provider plugin. Every resource
// takes `uri` (default qemu:///system; qemu+ssh://user@host/system for a remote host).
// Semantics, and which changes update in place or replace: provider/libvirt/README.md.
// A declared output must have its key in the props passed to super() (undefined is fine), or
// the SDK never creates the Output: optional inputs that are also outputs are listed explicitly.
import * as pulumi from "@pulumi/pulumi";
import type { SshSettingsArgs } from "./host";

/**
 * Key and known_hosts for a qemu+ssh:// `uri` (user, host and port stay in the URI). Always
 * stored as a secret; the provider writes them to private temporary files for each call.
 */
export type LibvirtSshArgs = Omit<SshSettingsArgs, "port">;

const secretSsh = (ssh: pulumi.Input<LibvirtSshArgs> | undefined) => (ssh ? pulumi.secret(ssh) : undefined);

export interface PoolArgs {
  uri?: pulumi.Input<string>;
  name: pulumi.Input<string>;
  /** Target directory (created when missing, and then removed on delete). Required unless existing. */
  path?: pulumi.Input<string>;
  /** Use the pool of this name that already exists; never change or delete it. */
  existing?: pulumi.Input<boolean>;
  /** Default true. */
  autostart?: pulumi.Input<boolean>;
  /** On delete, delete the volumes still in the pool instead of failing. */
  forceDelete?: pulumi.Input<boolean>;
  /** Key and known_hosts for a qemu+ssh:// uri (kept secret). */
  ssh?: pulumi.Input<LibvirtSshArgs>;
}

/** A `dir` storage pool. */
/**
 * libvirt names are unique, so a replacement must delete the old object first. The provider says
 * so in its diff, but a replacement the user forces (`up --replace`) is decided by the engine
 * without a diff: the resource option carries it then. A program may still override it.
 */
const fixedName = (opts?: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions => ({
  deleteBeforeReplace: true,
  ...opts,
});

export class Pool extends pulumi.CustomResource {
  declare readonly uri: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly path: pulumi.Output<string | undefined>;
  declare readonly uuid: pulumi.Output<string>;
  declare readonly targetPath: pulumi.Output<string>;
  declare readonly active: pulumi.Output<boolean>;
  declare readonly createdDir: pulumi.Output<boolean>;

  constructor(name: string, args: PoolArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "nixlab:libvirt:Pool",
      name,
      {
        ...args,
        uri: args.uri,
        ssh: secretSsh(args.ssh),
        path: args.path,
        uuid: undefined,
        targetPath: undefined,
        active: undefined,
        createdDir: undefined,
      },
      fixedName(opts),
    );
  }
}

export interface VolumeArgs {
  uri?: pulumi.Input<string>;
  /** Name of the pool the volume lives in. */
  pool: pulumi.Input<string>;
  /** Required for overlays and empty volumes; uploads default to a content-addressed name. */
  name?: pulumi.Input<string>;
  /** Upload this local image file (e.g. a qcow2 in the Nix store). */
  source?: pulumi.Input<string>;
  /** Make a qcow2 overlay on this base volume. */
  backingVolume?: pulumi.Input<string>;
  /** Pool of the base volume (default: pool). */
  backingPool?: pulumi.Input<string>;
  /** Empty volume: its size (bytes or "10G"); overlay: virtual size (default: the base's). */
  size?: pulumi.Input<number | string>;
  format?: pulumi.Input<"qcow2" | "raw">;
  /** Key and known_hosts for a qemu+ssh:// uri (kept secret). */
  ssh?: pulumi.Input<LibvirtSshArgs>;
}

/** A storage volume: an uploaded image, an overlay on a base volume, or an empty disk. */
export class Volume extends pulumi.CustomResource {
  declare readonly uri: pulumi.Output<string>;
  declare readonly pool: pulumi.Output<string>;
  /** The volume's name (for uploads: the content-addressed name it got). */
  declare readonly name: pulumi.Output<string>;
  declare readonly kind: pulumi.Output<"upload" | "overlay" | "empty">;
  /** Path on the libvirt host (also the volume's key). */
  declare readonly path: pulumi.Output<string>;
  declare readonly capacity: pulumi.Output<number>;
  declare readonly allocation: pulumi.Output<number>;
  declare readonly actualFormat: pulumi.Output<string>;
  declare readonly backingPath: pulumi.Output<string | undefined>;
  declare readonly backingFormat: pulumi.Output<string | undefined>;
  /** False when an upload found its content-addressed volume already there. */
  declare readonly created: pulumi.Output<boolean>;

  constructor(name: string, args: VolumeArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "nixlab:libvirt:Volume",
      name,
      {
        ...args,
        uri: args.uri,
        ssh: secretSsh(args.ssh),
        // Uploads without a name get their content-addressed one as output.
        name: args.name,
        kind: undefined,
        path: undefined,
        capacity: undefined,
        allocation: undefined,
        actualFormat: undefined,
        backingPath: undefined,
        backingFormat: undefined,
        created: undefined,
      },
      fixedName(opts),
    );
  }
}

export interface NetworkArgs {
  uri?: pulumi.Input<string>;
  name: pulumi.Input<string>;
  /** Use the network of this name that already exists (e.g. "default"); never change or delete it. */
  existing?: pulumi.Input<boolean>;
  /** Default nat. */
  mode?: pulumi.Input<"nat" | "route" | "isolated">;
  bridge?: pulumi.Input<string>;
  /** The host's address and prefix, e.g. 192.168.150.1/24. Required unless existing. */
  address?: pulumi.Input<string>;
  dhcp?: pulumi.Input<{ start: pulumi.Input<string>; end: pulumi.Input<string> }>;
  domain?: pulumi.Input<string>;
  /** Default true. */
  autostart?: pulumi.Input<boolean>;
  /** Key and known_hosts for a qemu+ssh:// uri (kept secret). */
  ssh?: pulumi.Input<LibvirtSshArgs>;
}

/** A libvirt virtual network (NAT with DHCP by default), or an existing one by name. */
export class Network extends pulumi.CustomResource {
  declare readonly uri: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly uuid: pulumi.Output<string>;
  declare readonly bridgeName: pulumi.Output<string>;
  declare readonly address: pulumi.Output<string | undefined>;
  declare readonly active: pulumi.Output<boolean>;
  declare readonly created: pulumi.Output<boolean>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "nixlab:libvirt:Network",
      name,
      {
        ...args,
        uri: args.uri,
        ssh: secretSsh(args.ssh),
        address: args.address,
        uuid: undefined,
        bridgeName: undefined,
        active: undefined,
        created: undefined,
      },
      fixedName(opts),
    );
  }
}

export interface DomainDiskArgs {
  /** A pool volume (pool + volume)… */
  pool?: pulumi.Input<string>;
  volume?: pulumi.Input<string>;
  /** …or an image file on the libvirt host. */
  path?: pulumi.Input<string>;
  /** Default qcow2. */
  format?: pulumi.Input<"qcow2" | "raw">;
  /** Default virtio. nvme: an emulated NVMe drive (test drives). */
  bus?: pulumi.Input<"virtio" | "nvme" | "sata" | "scsi">;
  serial?: pulumi.Input<string>;
  readOnly?: pulumi.Input<boolean>;
}

export interface DomainNicArgs {
  /** A libvirt network (the guest's DHCP address becomes ipAddress)… */
  network?: pulumi.Input<string>;
  /** …or a host bridge. */
  bridge?: pulumi.Input<string>;
  mac?: pulumi.Input<string>;
  /** Default virtio. */
  model?: pulumi.Input<string>;
}

export interface DomainBootArgs {
  kernel: pulumi.Input<string>;
  initrd?: pulumi.Input<string>;
  cmdline?: pulumi.Input<string>;
}

export interface DomainFilesystemArgs {
  /** Host directory shared over virtiofs. */
  source: pulumi.Input<string>;
  /** Mount tag: `mount -t virtiofs <tag> <dir>` in the guest. */
  tag: pulumi.Input<string>;
  readOnly?: pulumi.Input<boolean>;
}

export interface DomainArgs {
  uri?: pulumi.Input<string>;
  name: pulumi.Input<string>;
  /** Default 1. */
  vcpus?: pulumi.Input<number>;
  /** Default 512. */
  memoryMiB?: pulumi.Input<number>;
  /** Default q35. */
  machine?: pulumi.Input<string>;
  /** Default x86_64. */
  arch?: pulumi.Input<string>;
  /** Default auto: kvm when usable, else qemu (TCG); output domainType says which. */
  virtType?: pulumi.Input<"auto" | "kvm" | "qemu">;
  cpu?: pulumi.Input<{
    mode: pulumi.Input<"host-passthrough" | "host-model" | "maximum" | "custom">;
    model?: pulumi.Input<string>;
  }>;
  /** Default bios. */
  firmware?: pulumi.Input<"bios" | "efi">;
  disks?: pulumi.Input<pulumi.Input<DomainDiskArgs>[]>;
  networkInterfaces?: pulumi.Input<pulumi.Input<DomainNicArgs>[]>;
  /** Direct kernel boot; without it the first disk boots. */
  boot?: pulumi.Input<DomainBootArgs>;
  filesystems?: pulumi.Input<pulumi.Input<DomainFilesystemArgs>[]>;
  /** Serial console log on the libvirt host (default /var/log/libvirt/qemu/<name>-console.log). */
  consoleLog?: pulumi.Input<string>;
  /** Default false. */
  autostart?: pulumi.Input<boolean>;
  /** Default true. */
  running?: pulumi.Input<boolean>;
  /** Wait this long for the DHCP lease (default 300; 0: do not wait). */
  ipTimeoutSeconds?: pulumi.Input<number>;
  /** Restart a running guest when vcpus/memory/cpu/virtType change (default true). */
  restartOnUpdate?: pulumi.Input<boolean>;
  /** Graceful shutdown time before forcing a guest off (default 60). */
  shutdownTimeoutSeconds?: pulumi.Input<number>;
  /** Where kernel/initrd are copied when QEMU's user cannot read them (default /var/lib/libvirt/boot/nixlab). */
  bootDir?: pulumi.Input<string>;
  /** Key and known_hosts for a qemu+ssh:// uri (kept secret). */
  ssh?: pulumi.Input<LibvirtSshArgs>;
}

/** A libvirt guest. */
export class Domain extends pulumi.CustomResource {
  declare readonly uri: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly vcpus: pulumi.Output<number>;
  declare readonly memoryMiB: pulumi.Output<number>;
  declare readonly running: pulumi.Output<boolean>;
  declare readonly uuid: pulumi.Output<string>;
  /** kvm or qemu (TCG). */
  declare readonly domainType: pulumi.Output<"kvm" | "qemu">;
  declare readonly machineType: pulumi.Output<string>;
  declare readonly macAddresses: pulumi.Output<string[]>;
  /** DHCP address of the first NIC on a libvirt network ("" when none). */
  declare readonly ipAddress: pulumi.Output<string>;
  declare readonly consoleLogPath: pulumi.Output<string>;
  declare readonly domainXml: pulumi.Output<string>;
  declare readonly kernelPath: pulumi.Output<string | undefined>;
  declare readonly initrdPath: pulumi.Output<string | undefined>;
  declare readonly createdFiles: pulumi.Output<string[]>;
  declare readonly consoleLogCreated: pulumi.Output<boolean>;
  /** libvirt's state word: running, shut off… */
  declare readonly state: pulumi.Output<string>;

  constructor(name: string, args: DomainArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "nixlab:libvirt:Domain",
      name,
      {
        ...args,
        uri: args.uri,
        ssh: secretSsh(args.ssh),
        vcpus: args.vcpus,
        memoryMiB: args.memoryMiB,
        running: args.running,
        uuid: undefined,
        domainType: undefined,
        machineType: undefined,
        macAddresses: undefined,
        ipAddress: undefined,
        consoleLogPath: undefined,
        domainXml: undefined,
        kernelPath: undefined,
        initrdPath: undefined,
        createdFiles: undefined,
        consoleLogCreated: undefined,
        state: undefined,
      },
      fixedName(opts),
    );
  }
}
