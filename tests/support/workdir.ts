import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import * as path from "node:path";
import { testWorkRoot } from "./paths";

/** A fresh folder under the shared test work root, world-traversable for QEMU. */
export function makeWorkDir(label: string): string {
  mkdirSync(testWorkRoot, { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(path.join(testWorkRoot, `${label}-`));
  chmodSync(dir, 0o755);
  return dir;
}

export function removeWorkDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
