// How long does Pulumi take to find that 10 nixlab:nix:Build resources are up to date, and does
// it start any nix build doing so? Runs the real engine on a file:// backend; prints figures.

import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { prepareFixtureFlake } from "../tests/support/nix-fixture";
import { nixSpy } from "../tests/support/nix-spy";
import { repoRoot } from "../tests/support/paths";
import { pulumiSandbox } from "../tests/support/pulumi";
import { makeWorkDir, removeWorkDir } from "../tests/support/workdir";

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

async function main(): Promise<void> {
  const work = makeWorkDir("bench-nix-noop");
  const project = path.join(repoRoot, "tests", "fixtures", "provider-nix");
  const flake = prepareFixtureFlake("nix-builds", work);
  const spy = nixSpy(work);
  const p = pulumiSandbox(work, {}, { pathPrepend: [spy.binDir] });
  const stack = "bench";
  const time = async (args: string[]): Promise<number> => {
    const t0 = performance.now();
    await p.run([...args, "-s", stack], { cwd: project });
    return (performance.now() - t0) / 1000;
  };
  try {
    await p.run(["stack", "init", stack], { cwd: project });
    for (const [k, v] of [
      ["flake", `path:${flake}`],
      ["count", "10"],
      ["gcRootDir", path.join(work, "gcroots")],
    ]) {
      await p.run(["config", "set", k ?? "", v ?? "", "-s", stack], { cwd: project });
    }
    const firstUp = await time(["up", "--yes", "--skip-preview"]);
    const firstBuilds = spy.calls().filter((c) => c[0] === "build").length;
    spy.reset();
    const previews: number[] = [];
    const ups: number[] = [];
    for (let i = 0; i < rounds; i++) {
      previews.push(await time(["preview"]));
      ups.push(await time(["up", "--yes", "--skip-preview"]));
    }
    const calls = spy.calls();
    const fmt = (xs: number[]) =>
      `median ${median(xs).toFixed(2)} s (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)}, n=${xs.length})`;
    console.log("nixlab:nix:Build x10 through the Pulumi engine (file:// backend)");
    console.log(
      `  first up (10 builds):      ${firstUp.toFixed(2)} s, nix build invocations: ${firstBuilds}`,
    );
    console.log(`  no-op preview:             ${fmt(previews)}`);
    console.log(`  no-op up:                  ${fmt(ups)}`);
    console.log(
      `  during the no-op runs:     nix build ${calls.filter((c) => c[0] === "build").length}, nix eval ${calls.filter((c) => c[0] === "eval").length}`,
    );
    await p.run(["destroy", "--yes", "--skip-preview", "-s", stack], { cwd: project });
  } finally {
    await p.run(["stack", "rm", "--yes", "--force", "-s", stack], { cwd: project, reject: false });
    removeWorkDir(work);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
