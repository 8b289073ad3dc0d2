// scripts/pulumi runs the engine with nixlab's scale settings (README, Performance): guests boot
// side by side (PULUMI_PARALLEL 64, not the engine's 4 per core) and diffs run side by side
// (PULUMI_PARALLEL_DIFF, so that a lab's closures share one nix evaluator); what the user set wins.
// A stand-in `pulumi` on PATH prints the environment it was given.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { repoRoot } from "../support/paths";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

describe("scripts/pulumi's engine settings", () => {
  let work: string;
  let env: Record<string, string>;

  beforeAll(() => {
    work = makeWorkDir("engine-settings");
    const bin = path.join(work, "bin");
    mkdirSync(bin);
    writeFileSync(
      path.join(bin, "pulumi"),
      '#!/bin/sh\necho "parallel=$PULUMI_PARALLEL diff=$PULUMI_PARALLEL_DIFF"\n',
    );
    chmodSync(path.join(bin, "pulumi"), 0o755);
    env = {
      PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      // No cached engine here: the stand-in is the pulumi found.
      NIXLAB_CACHE_DIR: path.join(work, "cache"),
      NIXLAB_STATE_DIR: path.join(work, "state"),
      PULUMI_CONFIG_PASSPHRASE: "",
      HOME: work,
    };
  });
  afterAll(() => removeWorkDir(work));

  const run = async (extra: Record<string, string>) =>
    (
      await execa(path.join(repoRoot, "scripts", "pulumi"), ["version"], {
        env: { ...env, ...extra },
        extendEnv: false,
      })
    ).stdout;

  test("by default: 64 operations at once, diffs side by side", async () => {
    expect(await run({})).toBe("parallel=64 diff=true");
  });

  test("the user's settings win", async () => {
    expect(await run({ PULUMI_PARALLEL: "4", PULUMI_PARALLEL_DIFF: "false" })).toBe("parallel=4 diff=false");
  });
});
