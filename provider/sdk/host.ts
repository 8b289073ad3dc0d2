// Program-side classes for the host resources of the nixlab provider plugin.
import * as pulumi from "@pulumi/pulumi";

/** SSH settings without the destination (for store URIs that carry user and host). */
export interface SshSettingsArgs {
  port?: pulumi.Input<number>;
  /** OpenSSH private key; always stored as a secret. */
  privateKey?: pulumi.Input<string>;
  identityFile?: pulumi.Input<string>;
  /** known_hosts lines for the host. */
  knownHosts?: pulumi.Input<string>;
  hostKeyChecking?: pulumi.Input<"strict" | "accept-new" | "off">;
  connectTimeoutSeconds?: pulumi.Input<number>;
}

export interface SshConnectionArgs extends SshSettingsArgs {
  host: pulumi.Input<string>;
  user?: pulumi.Input<string>;
}

export interface ActivationArgs {
  connection: pulumi.Input<SshConnectionArgs>;
  closure: pulumi.Input<string>;
  action?: pulumi.Input<"switch" | "boot" | "test" | "dry-activate">;
  profile?: pulumi.Input<string>;
  rollback?: pulumi.Input<boolean>;
  confirmTimeoutSeconds?: pulumi.Input<number>;
  onDelete?: pulumi.Input<"keep" | "rollback">;
  sudo?: pulumi.Input<boolean>;
  remoteTmpDir?: pulumi.Input<string>;
}

/** Activates a closure on a host over SSH, rolling back when it fails or the host goes dark. */
export class Activation extends pulumi.CustomResource {
  declare readonly closure: pulumi.Output<string>;
  declare readonly action: pulumi.Output<string>;
  declare readonly previous: pulumi.Output<string>;

  constructor(name: string, args: ActivationArgs, opts?: pulumi.CustomResourceOptions) {
    super("nixlab:host:Activation", name, { ...args, previous: undefined }, opts);
  }
}
