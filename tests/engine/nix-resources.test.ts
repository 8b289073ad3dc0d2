// The nix resources through the real Pulumi engine: `pulumi up/preview/refresh/destroy` of a
// project that declares the nixlab plugin in Pulumi.yaml, with 10 Build resources.
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { nixEnv } from "../support/env";
import { prepareFixtureFlake } from "../support/nix-fixture";
import { type NixSpy, nixSpy } from "../support/nix-spy";
import { repoRoot } from "../support/paths";
import { type PulumiSandbox, pulumiSandbox } from "../support/pulumi";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const project = path.join(repoRoot, "tests", "fixtures", "provider-nix");
const builds = (spy: NixSpy) => spy.calls().filter((c) => c[0] === "build");

describe("nix resources through the Pulumi engine", () => {
  let work: string;
  let flake: string;
  let gcRootDir: string;
  let spy: NixSpy;
  let p: PulumiSandbox;
  const stack = `nix${process.pid}`;

  beforeAll(async () => {
    work = makeWorkDir("engine-nix");
    flake = prepareFixtureFlake("nix-builds", work);
    gcRootDir = path.join(work, "gcroots");
    spy = nixSpy(work);
    p = pulumiSandbox(work, {}, { pathPrepend: [spy.binDir] });
    await p.run(["stack", "init", stack], { cwd: project });
    await p.run(["config", "set", "flake", `path:${flake}`, "-s", stack], { cwd: project });
    await p.run(["config", "set", "count", "10", "-s", stack], { cwd: project });
    await p.run(["config", "set", "gcRootDir", gcRootDir, "-s", stack], { cwd: project });
  });
  afterAll(async () => {
    await p.run(["destroy", "--yes", "--skip-preview", "-s", stack], { cwd: project, reject: false });
    await p.run(["stack", "rm", "--yes", "--force", "-s", stack], { cwd: project, reject: false });
    removeWorkDir(work);
  });

  const outPaths = async (): Promise<string[]> =>
    JSON.parse(
      (await p.run(["stack", "output", "outPaths", "--json", "-s", stack], { cwd: project })).stdout,
    );

  test("up builds 10, a no-op preview and up build nothing, a flake change updates all 10", async () => {
    const up = await p.run(["up", "--yes", "--skip-preview", "-s", stack], { cwd: project });
    expect(up.all).toMatch(/\+ 11 created/); // 10 builds + the stack
    expect(builds(spy)).toHaveLength(10);
    const first = await outPaths();
    expect(first).toHaveLength(10);
    expect(readdirSync(gcRootDir)).toHaveLength(10);

    spy.reset();
    const preview = await p.run(["preview", "--diff", "-s", stack], { cwd: project });
    expect(preview.all).toMatch(/11 unchanged/);
    const noopUp = await p.run(["up", "--yes", "-s", stack], { cwd: project });
    expect(noopUp.all).toMatch(/11 unchanged/);
    expect(builds(spy)).toEqual([]);
    // Drift detection did look: one derivation evaluation per resource per diff.
    expect(spy.calls().filter((c) => c[0] === "eval").length).toBeGreaterThanOrEqual(10);

    writeFileSync(path.join(flake, "message.txt"), "changed in the flake\n");
    const changed = await p.run(["preview", "-s", stack], { cwd: project });
    expect(changed.all).toMatch(/~ 10 to update/);
    spy.reset();
    const update = await p.run(["up", "--yes", "--skip-preview", "-s", stack], { cwd: project });
    expect(update.all).toMatch(/~ 10 updated/);
    expect(builds(spy)).toHaveLength(10);
    const second = await outPaths();
    for (const [i, out] of second.entries()) expect(out).not.toBe(first[i]);
  });

  test("refresh notices a collected output and the next up rebuilds it", async () => {
    const [victim] = await outPaths();
    if (!victim) throw new Error("no outputs");
    // Remove its GC root and delete it, as a garbage collection would.
    for (const link of readdirSync(gcRootDir)) {
      const full = path.join(gcRootDir, link);
      if ((await execa("readlink", [full])).stdout === victim) rmSync(full);
    }
    await execa("nix", ["store", "delete", victim], { env: nixEnv() });
    const refresh = await p.run(["refresh", "--yes", "--skip-preview", "-s", stack], { cwd: project });
    expect(refresh.all).toMatch(/- 1 deleted/);
    spy.reset();
    const up = await p.run(["up", "--yes", "--skip-preview", "-s", stack], { cwd: project });
    expect(up.all).toMatch(/\+ 1 created/);
    expect(builds(spy)).toHaveLength(1);
    expect(existsSync(victim)).toBe(true);
  });

  test("a failing build fails the update with the derivation and its log, and records nothing", async () => {
    const bad = `bad${process.pid}`;
    await p.run(["stack", "init", bad], { cwd: project });
    try {
      await p.run(["config", "set", "flake", `path:${flake}`, "-s", bad], { cwd: project });
      await p.run(["config", "set", "attribute", "packages.x86_64-linux.broken", "-s", bad], {
        cwd: project,
      });
      await p.run(["config", "set", "gcRootDir", gcRootDir, "-s", bad], { cwd: project });
      const up = await p.run(["up", "--yes", "--skip-preview", "-s", bad], { cwd: project, reject: false });
      expect(up.exitCode).not.toBe(0);
      expect(up.all).toMatch(
        /builder for '\/nix\/store\/[a-z0-9]{32}-nixlab-broken\.drv' failed with exit code 3/,
      );
      expect(up.all).toMatch(/> cc: fatal error: no such file/);
      const state = JSON.parse((await p.run(["stack", "export", "-s", bad], { cwd: project })).stdout);
      const types = (state.deployment.resources ?? []).map((r: { type: string }) => r.type);
      expect(types).not.toContain("nixlab:nix:Build");
    } finally {
      await p.run(["stack", "rm", "--yes", "--force", "-s", bad], { cwd: project, reject: false });
    }
  });

  test("destroy removes every GC root", async () => {
    const down = await p.run(["destroy", "--yes", "--skip-preview", "-s", stack], { cwd: project });
    expect(down.all).toMatch(/- 11 deleted/);
    expect(readdirSync(gcRootDir)).toEqual([]);
  });
});
