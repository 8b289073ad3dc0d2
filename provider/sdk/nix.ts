// Program-side classes for the nix resources of the nixlab provider plugin.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { SshSettingsArgs } from "./host";

export interface BuildArgs {
  /** A flake reference (path:/…, github:…) or a local path (made absolute here). */
  flake: pulumi.Input<string>;
  /** e.g. nixosConfigurations.vm.config.system.build.toplevel */
  attribute: pulumi.Input<string>;
  overrideInputs?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  extraArgs?: pulumi.Input<pulumi.Input<string>[]>;
  system?: pulumi.Input<string>;
  /** Outputs to build and keep: names, or ["*"] for all. Default: the derivation's default outputs. */
  outputNames?: pulumi.Input<pulumi.Input<string>[]>;
  gcRootDir?: pulumi.Input<string>;
}

/** Local paths become absolute `path:` references, so the provider never guesses a directory. */
export function flakeRef(flake: string): string {
  if (/^[a-z+]+:/.test(flake)) return flake;
  return `path:${path.resolve(flake)}`;
}

/** Builds a flake attribute; drift-detects on the derivation path; keeps a GC root. */
export class Build extends pulumi.CustomResource {
  declare readonly flake: pulumi.Output<string>;
  declare readonly attribute: pulumi.Output<string>;
  declare readonly drvPath: pulumi.Output<string>;
  declare readonly outPath: pulumi.Output<string>;
  declare readonly outputs: pulumi.Output<Record<string, string>>;
  declare readonly closureSize: pulumi.Output<number>;
  declare readonly narHash: pulumi.Output<string>;
  declare readonly gcRoots: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: BuildArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "nixlab:nix:Build",
      name,
      {
        ...args,
        flake: pulumi.output(args.flake).apply(flakeRef),
        drvPath: undefined,
        outPath: undefined,
        outputs: undefined,
        closureSize: undefined,
        narHash: undefined,
        gcRoots: undefined,
      },
      opts,
    );
  }
}

export interface CopyArgs {
  storePath: pulumi.Input<string>;
  /** ssh-ng://user@host, ssh://user@host, file:///dir, s3://bucket */
  to: pulumi.Input<string>;
  ssh?: pulumi.Input<SshSettingsArgs>;
  checkSigs?: pulumi.Input<boolean>;
}

/**
 * Copies a closure to another store. `ssh` is stored as a secret by the provider itself (pass
 * privateKey as a secret too, e.g. config.requireSecret, so the program never holds it in plain).
 */
export class Copy extends pulumi.CustomResource {
  declare readonly storePath: pulumi.Output<string>;
  declare readonly to: pulumi.Output<string>;
  declare readonly closurePaths: pulumi.Output<number>;
  declare readonly closureNarSize: pulumi.Output<number>;

  constructor(name: string, args: CopyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "nixlab:nix:Copy",
      name,
      {
        ...args,
        ssh: args.ssh ? pulumi.secret(args.ssh) : undefined,
        closurePaths: undefined,
        closureNarSize: undefined,
      },
      opts,
    );
  }
}

export interface AddPathArgs {
  /** A file or folder on this machine. */
  path: pulumi.Input<string>;
  /** The store path's name (default: the file's name). */
  name?: pulumi.Input<string>;
  gcRootDir?: pulumi.Input<string>;
}

/** Adds a local file or folder to the Nix store (with a GC root), e.g. a kernel to copy to a host. */
export class AddPath extends pulumi.CustomResource {
  declare readonly storePath: pulumi.Output<string>;
  declare readonly fingerprint: pulumi.Output<string>;

  constructor(name: string, args: AddPathArgs, opts?: pulumi.CustomResourceOptions) {
    super("nixlab:nix:AddPath", name, { ...args, storePath: undefined, fingerprint: undefined }, opts);
  }
}
