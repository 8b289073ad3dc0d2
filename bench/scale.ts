// Scale (issue 14): what a run costs as a lab grows, measured side by side in one run and printed
// as one table. Sections: 1 bring-up of 1/4/8/16 demo guests, 2 no-op up against an engine floor,
// 3 many closures (one evaluator per closure vs one for all), 4 disks (overlays vs copies, our
// volume creation vs a raw virsh script), 5 peak memory during the 16-guest up.
// BENCH_SCALE=guests,closures,disks runs a subset; BENCH_SCALE_SIZES=1,4 other lab sizes.
// Every libvirt object is named nixlab-bench-<pid>-…, destroyed at the end (also on failure) and
// checked for leaks.
import { cpus, loadavg, totalmem } from "node:os";
import { closuresSection } from "./scale/closures";
import { benchPrefix, logDir, printTable, type Row, sweepBenchObjects } from "./scale/common";
import { disksSection } from "./scale/disks";
import { guestsSection } from "./scale/guests";

const only = (process.env.BENCH_SCALE ?? "guests,closures,disks").split(",").filter(Boolean);
const sizes = (process.env.BENCH_SCALE_SIZES ?? "1,4,8,16").split(",").map(Number);

/** What scripts/pulumi sets for every run (see README, Performance). */
export const engineSettings = { PULUMI_PARALLEL: "64", PULUMI_PARALLEL_DIFF: "true" };

async function main(): Promise<void> {
  const rows: Row[] = [];
  const started = Date.now();
  const load = () => (loadavg()[0] ?? 0).toFixed(1);
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, load ${load()}`,
  );
  const failures: string[] = [];
  const section = async (name: string, fn: () => Promise<void>) => {
    if (!only.includes(name)) return;
    console.log(`\n--- ${name}`);
    try {
      await fn();
    } catch (err) {
      failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      console.error(`  ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  try {
    await section("guests", () =>
      guestsSection(rows, {
        sizes,
        memoryMiB: Number(process.env.BENCH_SCALE_MEMORY ?? 256),
        noopRounds: 3,
        engine: engineSettings,
        compareEngineDefaults: process.env.BENCH_SCALE_DEFAULTS !== "0",
        packedSizes: (process.env.BENCH_SCALE_PACKED ?? "1,16").split(",").filter(Boolean).map(Number),
      }),
    );
    await section("closures", () => closuresSection(rows, { engine: engineSettings }));
    await section("disks", () => disksSection(rows));
  } finally {
    const swept = sweepBenchObjects(benchPrefix);
    if (swept.length > 0) console.error(`swept leftovers: ${swept.join(", ")}`);
  }
  console.log(
    `\nScale (issue 14), ${((Date.now() - started) / 60000).toFixed(1)} min, load at the end ${load()}:\n`,
  );
  printTable(rows);
  console.log(`\nEach engine run's output: ${logDir}`);
  if (failures.length > 0) {
    console.error(`\nfailed sections:\n${failures.join("\n")}`);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
