// Indirect GC roots: symlinks in a state directory that nix registers (gcroots/auto), so that
// `nix-collect-garbage` keeps a closure that a running guest still uses.
import { lstatSync, readdirSync, readlinkSync, rmSync } from "node:fs";
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

/** Where nix registers indirect roots: one link per root, pointing at our link. */
export const autoRootsDir = (env: NodeJS.ProcessEnv = process.env): string =>
  path.join(env.NIX_STATE_DIR ?? "/nix/var/nix", "gcroots", "auto");

/**
 * Remove our roots; anything that is not a symlink into the store is left alone. nix's own
 * registration of each (gcroots/auto/<hash> → our link) goes too, so that no dangling link is
 * left behind until the next garbage collection.
 */
export function removeRoots(links: Iterable<string>, autoDir: string = autoRootsDir()): void {
  const ours = new Set<string>();
  for (const link of links) {
    if (!isStoreLink(link)) continue;
    rmSync(link);
    ours.add(link);
  }
  if (ours.size === 0) return;
  let entries: string[] = [];
  try {
    entries = readdirSync(autoDir);
  } catch {
    return; // not readable (another user's store): nix sweeps it at its next collection
  }
  for (const e of entries) {
    const entry = path.join(autoDir, e);
    try {
      if (ours.has(readlinkSync(entry))) rmSync(entry);
    } catch {
      // not a link, or gone meanwhile
    }
  }
}
