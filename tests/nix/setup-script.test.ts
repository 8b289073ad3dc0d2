// scripts/setup/nix-linters: idempotent, quick when deadnix is already in the cache.
import { existsSync } from "node:fs";
import * as path from "node:path";
import { cacheDir, repoRoot, run } from "./nix-eval";

const script = path.join(repoRoot, "scripts/setup/nix-linters");

describe("scripts/setup/nix-linters", () => {
  test("passes bash -n", async () => {
    expect(await run("bash", ["-n", script])).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  // npm run setup installs deadnix before the tests run.
  test("a second run finds deadnix in place and builds nothing", async () => {
    expect(existsSync(path.join(cacheDir(), "nix-linters", "bin", "deadnix"))).toBe(true);
    const result = await run("bash", [script], { env: process.env });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/nix-linters: deadnix \d+\.\d+\.\d+ already in /);
    expect(result.stderr).not.toMatch(/building/);
  });
});
