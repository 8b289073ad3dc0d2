// Scale section 3: many closures. A stand-in flake (bench/scale/stand-in) whose evaluation costs
// about 2 s of shared work, with 16 distinct closures; a program of 1 or 16 Builds of it through
// the real engine. Compared in one run: one cold evaluator per closure (NIXLAB_EVAL_BATCH=1 and
// the engine's serial diffs: how it was) against one evaluator for all (the default, with
// PULUMI_PARALLEL_DIFF so that the engine's diffs arrive together).
import { copyFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { nixEnv } from "../../tests/support/env";
import { repoRoot } from "../../tests/support/paths";
import {
  benchWorkDir,
  commandSpy,
  engineEnv,
  fmtMiB,
  fmtS,
  fmtX,
  median,
  projectDir,
  pulumi,
  type Row,
} from "./common";

const rounds = 2;

/** Write rounds.nix so that evaluating `heavy` takes about `targetMs` here and now. */
async function calibrate(flake: string, targetMs: number): Promise<{ rounds: number; ms: number }> {
  const evalMs = async (r: number): Promise<number> => {
    writeFileSync(path.join(flake, "rounds.nix"), `${r}\n`);
    const t0 = Date.now();
    await execa("nix", ["eval", "--json", `path:${flake}#heavy`], { env: nixEnv() });
    return Date.now() - t0;
  };
  const base = await evalMs(0);
  const probe = 40;
  const perRound = Math.max(1, ((await evalMs(probe)) - base) / probe);
  const chosen = Math.max(1, Math.round((targetMs - base) / perRound));
  const ms = await evalMs(chosen);
  return { rounds: chosen, ms };
}

export async function closuresSection(rows: Row[], o: { engine: Record<string, string> }): Promise<void> {
  const work = benchWorkDir("scale-closures");
  const flake = path.join(work, "stand-in");
  cpSync(path.join(repoRoot, "bench", "scale", "stand-in"), flake, { recursive: true });
  mkdirSync(path.join(flake, "tools"), { recursive: true });
  copyFileSync("/usr/bin/busybox", path.join(flake, "tools", "busybox"));
  const cal = await calibrate(flake, 2000);
  console.log(`  stand-in: ${cal.rounds} rounds, one evaluation ${fmtS(cal.ms)}`);
  rows.push({
    section: "3",
    what: "stand-in evaluation (shared work of every closure), one nix eval",
    value: fmtS(cal.ms),
  });

  const spy = commandSpy(work, ["nix"]);
  const gcRootDir = path.join(work, "gcroots");
  const stackConfig = (count: number) => ({
    "nixlab-bench-closures:flake": `path:${flake}`,
    "nixlab-bench-closures:count": String(count),
    "nixlab-bench-closures:gcRootDir": gcRootDir,
  });
  const project = projectDir(
    path.join(work, "project"),
    {
      name: "nixlab-bench-closures",
      main: "dist/bench/scale/closures-program.js",
      providers: [{ name: "nixlab", path: path.join(repoRoot, "provider", "bin") }],
    },
    { c1: stackConfig(1), c16: stackConfig(16) },
  );
  // How it was: an evaluator per closure, diffs one after another.
  const perClosure = engineEnv(work, { NIXLAB_EVAL_BATCH: "1" }, [spy.binDir]);
  for (const k of Object.keys(o.engine)) delete perClosure[k];
  const together = engineEnv(work, { ...o.engine }, [spy.binDir]);
  delete together.NIXLAB_EVAL_BATCH;

  const stacks: string[] = [];
  const run = (env: Record<string, string>, stack: string, args: string[]) =>
    pulumi(env, project, [...args, "-s", stack]);
  const measure = async (env: Record<string, string>, stack: string, args: string[]) => {
    spy.reset();
    const ms: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const r = await run(env, stack, args);
      if (args[0] === "up" && /[+~-] \d+ (created|updated|deleted|replaced)/.test(r.all))
        throw new Error(`the no-op up changed something:\n${r.all.slice(-2000)}`);
      ms.push(r.ms);
    }
    return { ms: median(ms), evals: spy.count("nix", "eval") / rounds, peak: spy.nixPeakKiB() };
  };
  const first = async (env: Record<string, string>, stack: string) => {
    spy.reset();
    const r = await run(env, stack, ["up", "--yes", "--skip-preview"]);
    return {
      ms: r.ms,
      evals: spy.count("nix", "eval"),
      builds: spy.count("nix", "build"),
      peak: spy.nixPeakKiB(),
    };
  };
  try {
    for (const s of ["c1", "c16"]) {
      await run(together, s, ["stack", "init"]);
      stacks.push(s);
    }
    const up1 = await first(together, "c1");
    const preview1 = await measure(together, "c1", ["preview"]);
    const preview1Alone = await measure(perClosure, "c1", ["preview"]);

    const up16Alone = await first(perClosure, "c16");
    const preview16Alone = await measure(perClosure, "c16", ["preview"]);
    const noop16Alone = await measure(perClosure, "c16", ["up", "--yes", "--skip-preview"]);
    const preview16 = await measure(together, "c16", ["preview"]);
    const noop16 = await measure(together, "c16", ["up", "--yes", "--skip-preview"]);
    await run(together, "c16", ["destroy", "--yes", "--skip-preview"]);
    const up16 = await first(together, "c16");

    const ref = preview1.ms;
    rows.push({ section: "3", what: "first up, 1 closure", value: fmtS(up1.ms) });
    rows.push({
      section: "3",
      what: `first up, 16 closures, evaluator per closure (${up16Alone.evals} nix eval, ${up16Alone.builds} nix build)`,
      value: fmtS(up16Alone.ms),
    });
    rows.push({
      section: "3",
      what: `first up, 16 closures, one evaluator (${up16.evals} nix eval, ${up16.builds} nix build)`,
      value: fmtS(up16.ms),
      ratio: fmtX(up16.ms / up16Alone.ms),
    });
    rows.push({
      section: "3",
      what: `no-op preview, 1 closure (${preview1.evals} nix eval; evaluator per closure: ${fmtS(preview1Alone.ms)})`,
      value: fmtS(ref),
    });
    rows.push({
      section: "3",
      what: `no-op preview, 16 closures, evaluator per closure (${preview16Alone.evals} nix eval)`,
      value: fmtS(preview16Alone.ms),
      ratio: fmtX(preview16Alone.ms / ref),
    });
    rows.push({
      section: "3",
      what: `no-op preview, 16 closures, one evaluator (${preview16.evals} nix eval)`,
      value: fmtS(preview16.ms),
      ratio: fmtX(preview16.ms / ref),
      goal: "<= 2x 1 closure",
    });
    rows.push({
      section: "3",
      what: "no-op up, 16 closures, evaluator per closure / one evaluator",
      value: `${fmtS(noop16Alone.ms)} / ${fmtS(noop16.ms)}`,
      ratio: fmtX(noop16.ms / noop16Alone.ms),
    });
    rows.push({
      section: "5",
      what: "peak RSS of a nix process, 16-closure preview: per closure / one evaluator",
      value: `${fmtMiB(preview16Alone.peak)} / ${fmtMiB(preview16.peak)}`,
    });
    rows.push({
      section: "5",
      what: "peak RSS of a nix process, 16-closure first up: per closure / one evaluator",
      value: `${fmtMiB(up16Alone.peak)} / ${fmtMiB(up16.peak)}`,
    });
  } finally {
    for (const s of stacks.reverse()) {
      await pulumi(together, project, ["destroy", "--yes", "--skip-preview", "-s", s], { reject: false });
      await pulumi(together, project, ["stack", "rm", "--yes", "--force", "-s", s], { reject: false });
    }
    rmSync(work, { recursive: true, force: true });
  }
}
