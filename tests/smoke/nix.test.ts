// The real nix builds a fixture flake in its sandbox and hands back a store path.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { nixEnv } from "../support/env";
import { prepareFixtureFlake } from "../support/nix-fixture";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

describe("nix", () => {
  let work: string;
  beforeAll(() => {
    work = makeWorkDir("nix-smoke");
  });
  afterAll(() => removeWorkDir(work));

  test("builds a fixture flake with the sandbox on and returns its store path", async () => {
    const flake = prepareFixtureFlake("nix-smoke", work);
    const { stdout: sandbox } = await execa("nix", ["config", "show", "sandbox"], { env: nixEnv() });
    expect(sandbox.trim()).toBe("true");

    const { stdout } = await execa(
      "nix",
      ["build", "--json", "--no-link", "--no-write-lock-file", `path:${flake}#default`],
      { env: nixEnv() },
    );
    const [result] = JSON.parse(stdout) as { drvPath: string; outputs: { out: string } }[];
    expect(result?.drvPath).toMatch(/^\/nix\/store\/[a-z0-9]{32}-nixlab-smoke\.drv$/);
    const out = result?.outputs.out ?? "";
    expect(out).toMatch(/^\/nix\/store\/[a-z0-9]{32}-nixlab-smoke$/);
    expect(readFileSync(path.join(out, "message"), "utf8")).toBe("built by nix in the sandbox\n");
    expect(existsSync(path.join(flake, "flake.lock"))).toBe(false);
  });
});
