// Every .nix file under nix/ parses, and the Nix linters find nothing in it.
import * as path from "node:path";
import { findLinter, nixDir, nixFiles, repoRoot, run } from "./nix-eval";

const relative = (p: string): string => path.relative(repoRoot, p);

describe("nix/ sources", () => {
  const files = nixFiles();

  test("there are .nix files to check, including the flake", () => {
    expect(files.map(relative)).toContain("nix/flake.nix");
    expect(files.length).toBeGreaterThan(20);
  });

  test("every .nix file parses (nix-instantiate --parse)", async () => {
    const failures: string[] = [];
    for (const file of files) {
      const result = await run("nix-instantiate", ["--parse", file]);
      if (result.code !== 0) failures.push(`${relative(file)}:\n${result.stderr.trim()}`);
    }
    expect(failures).toEqual([]);
  });

  test("deadnix finds no unused bindings or arguments", async () => {
    const deadnix = findLinter("deadnix");
    if (!deadnix) throw new Error("deadnix is not installed: run scripts/setup/nix-linters");
    const result = await run(deadnix, ["--fail", "--output-format", "json", nixDir]);
    const findings = result.stdout
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as { file: string; results: unknown[] })
      .filter((report) => report.results.length > 0);
    expect(findings).toEqual([]);
    expect(result.code).toBe(0);
  });
});
