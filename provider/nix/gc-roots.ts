// Indirect GC roots: symlinks in a state directory that nix registers (gcroots/auto), so that
// `nix-collect-garbage` keeps a closure that a running guest still uses.
import { lstatSync, readlinkSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.NIXLAB_STATE_DIR ?? path.join(env.XDG_STATE_HOME ?? path.join(homedir(), ".local", "state"), "nixlab")
  );
}

export const defaultGcRootDir = (env: NodeJS.ProcessEnv = process.env): string =>
  path.join(defaultStateDir(env), "gcroots");

/** A file name for a resource's root: readable, and unique per resource id. */
export function rootBaseName(resourceName: string, id: string): string {
  const safe = resourceName.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 60);
  return `${safe}-${id}`;
}

/** Does `link` exist as a symlink into the Nix store? */
export function isStoreLink(link: string): boolean {
  try {
    return lstatSync(link).isSymbolicLink() && readlinkSync(link).startsWith("/nix/store/");
  } catch {
    return false;
  }
}

/** Remove our roots; anything that is not a symlink into the store is left alone. */
export function removeRoots(links: Iterable<string>): void {
  for (const link of links) if (isStoreLink(link)) rmSync(link);
}
