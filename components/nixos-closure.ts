// NixosClosure: a NixOS system (or anything honouring the same contract) built by Nix, from a
// user's flake + attribute, or from a spec that becomes a small generated flake around
// nixlab's lib.mkSystem. For imageless systems it also reads boot.json from the result.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Build, flakeRef } from "../provider/sdk/nix";
import { type BootJson, readBootJson } from "./boot-json";
import { writeGeneratedFlake } from "./generated-flake";
import { nixlabFlakeRef, stateDir } from "./locations";
import { type NixlabSpecInput, nixlabSpec } from "./spec";
import { validate } from "./validate";

export interface FlakeSource {
  flake: string;
  attribute: string;
  overrideInputs?: Record<string, string>;
  extraArgs?: string[];
}

export interface SpecSource {
  spec: NixlabSpecInput;
  /** The nixlab flake (default: this repository's nix/ folder). */
  nixlab?: string;
  /** Make nixlab follow this nixpkgs (flake reference). */
  nixpkgs?: string;
  /** Which build product: the system (default) or, for the libvirt backend, its qcow2 image. */
  product?: "toplevel" | "qcow2";
}

export interface NixosClosureArgs {
  source: FlakeSource | SpecSource;
  /** Parse boot.json from the result (imageless systems). Default: true for imageless specs. */
  imageless?: boolean;
  gcRootDir?: string;
  /** Where generated flakes go (default: $NIXLAB_STATE_DIR or ~/.local/state/nixlab). */
  stateDir?: string;
}

/** Flake + attribute to build for a source; writes the generated flake for a spec. */
export function resolveSource(
  name: string,
  source: FlakeSource | SpecSource,
  dir: string,
): {
  flake: string;
  attribute: string;
  overrideInputs: Record<string, string>;
  extraArgs: string[];
  imageless: boolean;
} {
  if ("spec" in source) {
    const spec = validate(nixlabSpec, source.spec, `${name}.spec`);
    const flakeDir = writeGeneratedFlake(path.join(dir, "flakes"), name, spec, {
      nixlab: source.nixlab ?? nixlabFlakeRef(),
      nixpkgs: source.nixpkgs,
    });
    const product = source.product ?? "toplevel";
    return {
      flake: `path:${flakeDir}`,
      attribute: `nixosConfigurations.${JSON.stringify(name)}.config.system.build.${product}`,
      overrideInputs: {},
      // Never locked on disk: each build takes nixlab as it is now, with its nixpkgs pin.
      extraArgs: ["--no-write-lock-file"],
      imageless: spec.backend === "imageless" && product === "toplevel",
    };
  }
  return {
    flake: flakeRef(source.flake),
    attribute: source.attribute,
    overrideInputs: source.overrideInputs ?? {},
    extraArgs: source.extraArgs ?? [],
    imageless: false,
  };
}

export class NixosClosure extends pulumi.ComponentResource {
  readonly build: Build;
  /** The built store path (the system's toplevel, or the image folder). */
  readonly closurePath: pulumi.Output<string>;
  readonly drvPath: pulumi.Output<string>;
  /** Parsed boot.json for imageless systems (undefined otherwise). */
  readonly bootJson: pulumi.Output<BootJson | undefined>;

  constructor(name: string, args: NixosClosureArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nixlab:components:NixosClosure", name, {}, opts);
    const target = resolveSource(name, args.source, args.stateDir ?? stateDir());
    const imageless = args.imageless ?? target.imageless;
    this.build = new Build(
      name,
      {
        flake: target.flake,
        attribute: target.attribute,
        overrideInputs: target.overrideInputs,
        extraArgs: target.extraArgs,
        ...(args.gcRootDir ? { gcRootDir: args.gcRootDir } : {}),
      },
      { parent: this },
    );
    this.closurePath = this.build.outPath;
    this.drvPath = this.build.drvPath;
    this.bootJson = imageless ? this.build.outPath.apply((p) => readBootJson(p)) : pulumi.output(undefined);
    this.registerOutputs({ closurePath: this.closurePath, drvPath: this.drvPath, bootJson: this.bootJson });
  }
}
