import { copyFileSync, cpSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import { repoRoot } from "./paths";

/** The host's static busybox: the one tool fixture flakes build with (there is no nixpkgs). */
export const hostBusybox = "/usr/bin/busybox";

/**
 * Copy `tests/fixtures/<name>` into `workDir` with the static busybox at `tools/busybox`,
 * where fixture flakes expect it. Returns the flake's directory (use it as `path:<dir>`).
 */
export function prepareFixtureFlake(name: string, workDir: string): string {
  const dest = path.join(workDir, name);
  cpSync(path.join(repoRoot, "tests", "fixtures", name), dest, { recursive: true });
  mkdirSync(path.join(dest, "tools"), { recursive: true });
  copyFileSync(hostBusybox, path.join(dest, "tools", "busybox"));
  return dest;
}
