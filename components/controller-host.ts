// ControllerHost: an existing machine reached over SSH that becomes a nixlab controller: its
// closure is copied there (nix:Copy) and activated with rollback (host:Activation). Guests are
// then created on it through `host` (a GuestHost: qemu+ssh:// with the connection's key and host
// key, their closures and kernels copied to its store once the activation is done). Baremetal
// test hosts are the same with an imageless-derived closure.
import * as pulumi from "@pulumi/pulumi";
import type { SshConnectionArgs } from "../provider/sdk/host";
import { Activation } from "../provider/sdk/host";
import { Copy } from "../provider/sdk/nix";
import { type GuestHost, HostStore, LocalStore } from "./host-store";

export interface ControllerHostArgs {
  connection: SshConnectionArgs & { host: string; user?: string; port?: number; identityFile?: string };
  /** The system closure to run there (e.g. NixosClosure.closurePath). */
  closure: pulumi.Input<string>;
  action?: "switch" | "boot" | "test";
  profile?: string;
  confirmTimeoutSeconds?: number;
  rollback?: boolean;
  /** Its Nix store as `nix copy --to` takes it (default ssh-ng://<user>@<host>). */
  nixStore?: string;
}

/** qemu+ssh URI for libvirt on the host (keyfile and known_hosts as libvirt's ssh transport takes them). */
export function libvirtUriFor(c: {
  host: string;
  user?: string;
  port?: number;
  identityFile?: string;
}): string {
  const params = new URLSearchParams();
  if (c.identityFile) params.set("keyfile", c.identityFile);
  const query = params.toString();
  return `qemu+ssh://${c.user ?? "root"}@${c.host}${c.port && c.port !== 22 ? `:${c.port}` : ""}/system${query ? `?${query}` : ""}`;
}

export class ControllerHost extends pulumi.ComponentResource {
  readonly copy: Copy;
  readonly activation: Activation;
  readonly libvirtUri: pulumi.Output<string>;
  readonly closurePath: pulumi.Output<string>;
  /** For guests on this controller (ImagelessGuest/LibvirtGuest `host`): used after the activation. */
  readonly host: GuestHost;

  constructor(name: string, args: ControllerHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nixlab:components:ControllerHost", name, {}, opts);
    const c = args.connection;
    const { host, user, ...ssh } = c;
    const to = args.nixStore ?? `ssh-ng://${user ?? "root"}@${host}`;
    this.copy = new Copy(`${name}-closure`, { storePath: args.closure, to, ssh }, { parent: this });
    this.activation = new Activation(
      name,
      {
        connection: c,
        closure: this.copy.storePath,
        ...(args.action ? { action: args.action } : {}),
        ...(args.profile ? { profile: args.profile } : {}),
        ...(args.confirmTimeoutSeconds ? { confirmTimeoutSeconds: args.confirmTimeoutSeconds } : {}),
        ...(args.rollback === undefined ? {} : { rollback: args.rollback }),
      },
      { parent: this, dependsOn: [this.copy] },
    );
    this.closurePath = this.activation.closure;
    this.libvirtUri = pulumi.output(libvirtUriFor(c));
    const { port: _port, ...libvirtSsh } = ssh;
    const after = [this.activation];
    this.host = {
      name,
      uri: this.libvirtUri,
      ssh: libvirtSsh,
      store: new HostStore({ host: name, to, ssh, dependsOn: after }, name, this),
      localStore: new LocalStore(name, this),
      dependsOn: after,
    };
    this.registerOutputs({ libvirtUri: this.libvirtUri, closurePath: this.closurePath });
  }
}
