import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import * as path from "node:path";
import { testWorkRoot } from "./paths";

/** A fresh folder under the shared test work root, world-traversable for QEMU. */
export function makeWorkDir(label: string): string {
  mkdirSync(testWorkRoot, { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(path.join(testWorkRoot, `${label}-`));
  chmodSync(dir, 0o755);
  return dir;
}

/** nix's registrations of roots that point into `dir` (left dangling when a root is removed alone). */
export function autoRootsInto(dir: string, autoDir = "/nix/var/nix/gcroots/auto"): string[] {
  return (existsSync(autoDir) ? readdirSync(autoDir) : [])
    .map((f) => path.join(autoDir, f))
    .filter((e) => {
      try {
        return readlinkSync(e).startsWith(`${dir}/`);
      } catch {
        return false;
      }
    });
}

/**
 * Removes a test's folder, and nix's registrations of the roots that were in it (profiles and
 * out-links a test made there would otherwise stay as dangling links in gcroots/auto).
 */
export function removeWorkDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  for (const link of autoRootsInto(dir)) rmSync(link, { force: true });
}
