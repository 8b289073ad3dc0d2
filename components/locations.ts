// Where things are by default: this repository's Nix flake, the state directory, the kernel that
// scripts/setup-host cached for test guests.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { defaultStateDir } from "../provider/nix/gc-roots";

/** This repository's root, from source or from dist/. */
export function repositoryRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg) && /"name":\s*"nixlab"/.test(readFileSync(pkg, "utf8"))) return dir;
  }
  throw new Error(`cannot find the nixlab repository above ${__dirname}`);
}

export const nixlabFlakeRef = (): string => `path:${path.join(repositoryRoot(), "nix")}`;

export const stateDir = (): string => defaultStateDir();

export function cacheDir(): string {
  const env = process.env;
  return env.NIXLAB_CACHE_DIR ?? path.join(env.XDG_CACHE_HOME ?? path.join(homedir(), ".cache"), "nixlab");
}

export interface HostCachedKernel {
  /** The kernel guests boot: the unpacked ELF `vmlinux` when the set-up made one, else `vmlinuz`. */
  bzImage: string;
  /** The folder holding lib/modules/<version>: shared as the `modules` tag. */
  modulesDir: string;
  /** A folder of the modules an initrd needs, with their load order (for the demo fixture). */
  bootModules: string;
  /** A folder holding a static busybox (for the demo fixture). */
  busyboxDir: string;
}

/** The Debian kernel scripts/setup/test-kernel cached (real paths: Nix refuses symlinked inputs). */
export function hostCachedKernel(): HostCachedKernel {
  const current = path.join(cacheDir(), "kernel", "current");
  if (!existsSync(path.join(current, "vmlinuz"))) {
    throw new Error(`no cached test kernel at ${current}: run scripts/setup-host (npm run setup)`);
  }
  const dir = realpathSync(current);
  const unpacked = path.join(dir, "vmlinux");
  return {
    bzImage: existsSync(unpacked) ? unpacked : path.join(dir, "vmlinuz"),
    modulesDir: path.join(dir, "lib", "modules"),
    bootModules: path.join(dir, "boot-modules"),
    busyboxDir: realpathSync(path.join(cacheDir(), "busybox")),
  };
}
