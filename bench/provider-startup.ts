// Start-up time of the nixlab provider plugin: from spawn to the gRPC port on stdout, which is
// what the engine waits for before its first call. Prints figures.
import { spawn } from "node:child_process";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { repoRoot } from "../tests/support/paths";

const rounds = Number(process.env.BENCH_ROUNDS ?? 10);

function startOnce(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(path.join(repoRoot, "provider", "bin", "pulumi-resource-nixlab"), [], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    child.stdout.once("data", (chunk: Buffer) => {
      const ms = performance.now() - t0;
      child.kill();
      if (/^\d+\s*$/.test(chunk.toString())) resolve(ms);
      else reject(new Error(`unexpected first output: ${chunk.toString()}`));
    });
    child.once("error", reject);
  });
}

async function main(): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) times.push(await startOnce());
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  console.log("pulumi-resource-nixlab start-up (spawn → port on stdout)");
  console.log(
    `  median ${median.toFixed(0)} ms, min ${times[0]?.toFixed(0)} ms, max ${times.at(-1)?.toFixed(0)} ms, n=${rounds}`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
