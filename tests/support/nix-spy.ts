// A `nix` on PATH that records each invocation and then runs the real nix: how the tests prove
// that a no-op preview or update started no build, even when nix runs inside the provider
// plugin that the engine spawned.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";

export interface NixSpy {
  binDir: string;
  /** Sub-commands seen so far, e.g. ["eval", "build", "path-info"]. */
  calls(): string[][];
  reset(): void;
}

export function nixSpy(dir: string): NixSpy {
  const realNix = execFileSync("sh", ["-c", "command -v nix"], { encoding: "utf8" }).trim();
  const binDir = path.join(dir, "spy-bin");
  const log = path.join(dir, "nix-calls.log");
  mkdirSync(binDir, { recursive: true });
  const script = `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${realNix}' "$@"\n`;
  writeFileSync(path.join(binDir, "nix"), script);
  chmodSync(path.join(binDir, "nix"), 0o755);
  return {
    binDir,
    calls: () =>
      existsSync(log)
        ? readFileSync(log, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => l.split(" "))
        : [],
    reset: () => writeFileSync(log, ""),
  };
}
