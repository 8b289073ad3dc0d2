import { copyFileSync, cpSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { parseBuildJson } from "../../provider/nix/commands";
import { nixEnv } from "./env";
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

/** `nix build` an installable (no GC root) and return its `out` path. */
export async function buildOut(installable: string, extraArgs: string[] = []): Promise<string> {
  const { stdout } = await execa("nix", ["build", "--json", "--no-link", ...extraArgs, installable], {
    env: nixEnv(),
  });
  const out = parseBuildJson(stdout).outputs.out;
  if (!out) throw new Error(`${installable} has no out output`);
  return out;
}

/**
 * The activation fixture: fake system closures whose switch-to-configuration appends to
 * `<workDir>/calls.log`; the "darken" one kills the sshd whose pid file is given.
 */
export function prepareActivationFixture(
  workDir: string,
  sshdPidFile: string,
): { flake: string; callLog: string } {
  const flake = prepareFixtureFlake("activation", workDir);
  const callLog = path.join(workDir, "calls.log");
  writeFileSync(path.join(flake, "call-log-path"), callLog);
  writeFileSync(path.join(flake, "sshd-pid-path"), sshdPidFile);
  return { flake, callLog };
}
