// What a guest on another machine needs in that machine's Nix store: its closure and, for an
// imageless guest, its kernel (bzImage and modules). HostStore makes one nix:Copy per store path
// and host, shared by every guest there; LocalStore first adds files that are not in the store
// (a kernel build tree, the set-up's cached kernel) with nix:AddPath, once per file.
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import type { SshSettingsArgs } from "../provider/sdk/host";
import type { LibvirtSshArgs } from "../provider/sdk/libvirt";
import { AddPath, Copy } from "../provider/sdk/nix";

/** A short, stable tag of a string for resource names. */
export const shortHash = (s: string): string => createHash("sha256").update(s).digest("hex").slice(0, 10);

/** Local files added to the store, one AddPath per path, named after `prefix`. */
export class LocalStore {
  private readonly adds = new Map<string, AddPath>();
  constructor(
    private readonly prefix: string,
    private readonly parent: pulumi.Resource,
  ) {}

  /** The store path holding `file` (a file or a folder), under the store name `storeName`. */
  add(file: string, storeName: string): AddPath {
    const key = `${storeName}-${shortHash(file)}`;
    let a = this.adds.get(key);
    if (!a) {
      a = new AddPath(`${this.prefix}-${key}`, { path: file, name: storeName }, { parent: this.parent });
      this.adds.set(key, a);
    }
    return a;
  }
}

export interface HostStoreArgs {
  /** The host's name (resource names). */
  host: string;
  /** The store URI nix copy writes to: ssh-ng://user@host (with ?remote-program=… and such). */
  to: string;
  /** Port, key (secret) and known_hosts for the copy. */
  ssh?: pulumi.Input<SshSettingsArgs>;
  /** Resources that must exist first (a controller's activation). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** One host's store: a Copy per store path, made before the guests that need it. */
export class HostStore {
  private readonly copies = new Map<string, Copy>();
  constructor(
    readonly args: HostStoreArgs,
    private readonly prefix: string,
    private readonly parent: pulumi.Resource,
  ) {}

  /** The Copy of `storePath` to this host, made once per `key` (e.g. the closure's name). */
  copy(key: string, storePath: pulumi.Input<string>): Copy {
    let c = this.copies.get(key);
    if (!c) {
      c = new Copy(
        `${this.prefix}-${this.args.host}-${key}`,
        { storePath, to: this.args.to, ...(this.args.ssh ? { ssh: this.args.ssh } : {}) },
        { parent: this.parent, ...(this.args.dependsOn ? { dependsOn: this.args.dependsOn } : {}) },
      );
      this.copies.set(key, c);
    }
    return c;
  }
}

/**
 * A libvirt host for a guest: its URI and SSH settings, and for a host with its own Nix store
 * (not this machine) where closures and kernels are copied before the domain is defined.
 */
export interface GuestHost {
  name: string;
  uri: pulumi.Input<string>;
  /** Key (secret) and known_hosts for a qemu+ssh:// uri. */
  ssh?: pulumi.Input<LibvirtSshArgs>;
  /** The host's store, when it is not this machine's. */
  store?: HostStore;
  /** Files that are not in the store yet, added here before they are copied. */
  localStore?: LocalStore;
  /** Resources that must exist before the host is used (a controller's activation). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}
