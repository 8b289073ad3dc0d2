// Qcow2Image: a libvirt-backend system's disk image (system.build.qcow2), built by Nix and
// uploaded once into a pool as a content-addressed base volume (its name carries the store path's
// hash), which guests then use through copy-on-write overlays.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { type LibvirtSshArgs, Volume } from "../provider/sdk/libvirt";
import type { NixosClosure } from "./nixos-closure";

export interface Qcow2ImageArgs {
  /** A closure whose result is the image folder (spec source with product "qcow2", or a flake attribute). */
  closure: NixosClosure;
  pool: pulumi.Input<string>;
  uri?: pulumi.Input<string>;
  /** Key and known_hosts for a qemu+ssh:// uri (the upload streams over it). */
  ssh?: pulumi.Input<LibvirtSshArgs>;
  /** The image file inside the build result (nixpkgs' make-disk-image: nixos.qcow2). */
  imageFile?: string;
}

export class Qcow2Image extends pulumi.ComponentResource {
  readonly baseVolume: Volume;
  /** Volume name of the base image in the pool. */
  readonly volumeName: pulumi.Output<string>;
  readonly pool: pulumi.Output<string>;
  readonly imagePath: pulumi.Output<string>;

  constructor(name: string, args: Qcow2ImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nixlab:components:Qcow2Image", name, {}, opts);
    this.imagePath = args.closure.closurePath.apply((p) => path.join(p, args.imageFile ?? "nixos.qcow2"));
    this.baseVolume = new Volume(
      name,
      {
        uri: args.uri ?? "qemu:///system",
        pool: args.pool,
        source: this.imagePath,
        format: "qcow2",
        ...(args.ssh ? { ssh: args.ssh } : {}),
      },
      { parent: this },
    );
    this.volumeName = this.baseVolume.name;
    this.pool = this.baseVolume.pool;
    this.registerOutputs({ volumeName: this.volumeName, pool: this.pool, imagePath: this.imagePath });
  }
}
