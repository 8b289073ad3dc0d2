// The kernel an imageless guest boots: the user's own build, a kernel package from a flake (e.g.
// nixlab's packages.<system>.kernel), or the Debian kernel scripts/setup-host cached for tests.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Build, flakeRef } from "../provider/sdk/nix";
import { hostCachedKernel } from "./locations";

export type KernelSource =
  /** A bzImage and its lib/modules folder (holding <version>/; shared as `modules`, mounted at /lib/modules). */
  | { bzImage: string; modulesDir: string }
  /** A kernel package: <out>/bzImage and <out>/lib/modules, as nixpkgs builds kernels. */
  | { flake: string; attribute: string }
  | { hostCache: true };

export interface ResolvedKernel {
  bzImage: pulumi.Output<string>;
  modulesDir: pulumi.Output<string>;
}

export function resolveKernel(name: string, source: KernelSource, parent: pulumi.Resource): ResolvedKernel {
  if ("hostCache" in source) {
    const k = hostCachedKernel();
    return { bzImage: pulumi.output(k.bzImage), modulesDir: pulumi.output(k.modulesDir) };
  }
  if ("flake" in source) {
    const build = new Build(
      `${name}-kernel`,
      { flake: flakeRef(source.flake), attribute: source.attribute },
      { parent },
    );
    return {
      bzImage: build.outPath.apply((o) => path.join(o, "bzImage")),
      modulesDir: build.outPath.apply((o) => path.join(o, "lib", "modules")),
    };
  }
  return {
    bzImage: pulumi.output(path.resolve(source.bzImage)),
    modulesDir: pulumi.output(path.resolve(source.modulesDir)),
  };
}
