// Scale sections 1, 2 and 5: bring-up of 1, 4, 8 and 16 demo guests in one stack of the
// repository's own program through the real engine (wall time of up and destroy, ratio to one
// guest); the no-op up of the 16-guest lab against an engine floor of the same resource count
// (with nix builds and virsh define/start counted by spies on PATH); peak memory of the provider
// plugin and of nix during the 16-guest up.
import { rmSync } from "node:fs";
import * as path from "node:path";
import { hostCachedKernel } from "../../components/locations";
import { repoRoot } from "../../tests/support/paths";
import {
  benchNetwork,
  benchPrefix,
  benchWorkDir,
  commandSpy,
  type EngineRun,
  engineEnv,
  fmtMiB,
  fmtS,
  fmtX,
  guestCpuSeconds,
  leftovers,
  MemorySampler,
  median,
  projectDir,
  pulumi,
  type Row,
  sweepBenchObjects,
} from "./common";

export interface GuestsOptions {
  sizes: number[];
  memoryMiB: number;
  noopRounds: number;
  /** Engine settings for every run (e.g. PULUMI_PARALLEL). */
  engine: Record<string, string>;
  /** Also bring up the largest lab with the engine's own defaults, for comparison. */
  compareEngineDefaults: boolean;
  /**
   * Lab sizes also brought up with the packed bzImage (vmlinuz) when the cached kernel's guests
   * boot its unpacked ELF (scripts/setup/test-kernel): what unpacking saves.
   */
  packedSizes: number[];
}

const labConfig = (
  n: number,
  memoryMiB: number,
  network: string,
  kernel?: { bzImage: string; modulesDir: string },
  tag = "g",
) => ({
  "nixlab:lab": {
    network: { name: network },
    guests: [
      {
        name: `${benchPrefix}${tag}${n}`,
        ...(kernel ? { kernel } : {}),
        ...(n > 1 ? { count: n } : {}),
        backend: "imageless",
        vcpus: 1,
        memoryMiB,
        closure: { demoFixture: true },
        // Under TCG on a busy host the kernel's check of the 8254 timer can fail and the boot
        // hangs ("MP-BIOS bug: 8254 timer not connected to IO-APIC"): skip that check.
        extraKernelParams: ["no_timer_check"],
      },
    ],
  },
});

export async function guestsSection(rows: Row[], o: GuestsOptions): Promise<void> {
  const work = benchWorkDir("scale-guests");
  const spy = commandSpy(work);
  const env = engineEnv(work, { NIXLAB_STATE_DIR: path.join(work, "state"), ...o.engine }, [spy.binDir]);
  const stacks: Record<string, unknown> = {};
  const network = benchNetwork(work);
  for (const n of o.sizes) stacks[`g${n}`] = labConfig(n, o.memoryMiB, network);
  const largest = Math.max(...o.sizes);
  if (o.compareEngineDefaults) stacks.defaults = labConfig(largest, o.memoryMiB, network);
  const host = hostCachedKernel();
  const packed = path.join(path.dirname(host.bzImage), "vmlinuz");
  const unpacked = host.bzImage !== packed;
  const kernelName = unpacked ? "unpacked ELF vmlinux (PVH entry)" : "vmlinuz (no unpacked ELF cached)";
  if (unpacked)
    for (const n of o.packedSizes)
      stacks[`z${n}`] = labConfig(
        n,
        o.memoryMiB,
        network,
        { bzImage: packed, modulesDir: host.modulesDir },
        "z",
      );
  const lab = projectDir(
    path.join(work, "lab"),
    {
      name: "nixlab",
      main: "dist/index.js",
      providers: [{ name: "nixlab", path: path.join(repoRoot, "provider", "bin") }],
    },
    stacks,
  );
  const floor = projectDir(
    path.join(work, "floor"),
    {
      name: "nixlab-bench-floor",
      main: "dist/bench/scale/floor/program.js",
      providers: [{ name: "benchfloor", path: path.join(repoRoot, "bench", "scale", "floor", "bin") }],
    },
    { floor: { "nixlab-bench-floor:guests": String(largest) } },
  );
  const live: { dir: string; stack: string }[] = [];
  const run = (dir: string, stack: string, args: string[], extra: Parameters<typeof pulumi>[3] = {}) =>
    pulumi(env, dir, [...args, "-s", stack], extra);
  const init = async (dir: string, stack: string) => {
    await run(dir, stack, ["stack", "init"], {});
    live.push({ dir, stack });
  };
  const destroy = async (dir: string, stack: string): Promise<EngineRun> => {
    const r = await run(dir, stack, ["destroy", "--yes", "--skip-preview"]);
    await run(dir, stack, ["stack", "rm", "--yes"]);
    live.splice(
      live.findIndex((l) => l.dir === dir && l.stack === stack),
      1,
    );
    return r;
  };
  const up = ["up", "--yes", "--skip-preview"];

  try {
    const ups = new Map<number, number>();
    const cpus = new Map<number, number>();
    const downs = new Map<number, number>();
    for (const n of o.sizes) {
      const stack = `g${n}`;
      await init(lab, stack);
      let cliPid: number | undefined;
      const sampler = new MemorySampler(() => cliPid);
      if (n === largest) {
        spy.reset();
        sampler.start();
      }
      const r = await run(lab, stack, up, {
        onPid: (p) => {
          cliPid = p;
        },
      });
      const mem = sampler.stop();
      const cpu = guestCpuSeconds(`${benchPrefix}g${n}`);
      ups.set(n, r.ms);
      cpus.set(n, cpu);
      console.log(`  up of ${n} guest(s): ${fmtS(r.ms)}, guests' CPU ${cpu.toFixed(1)} s`);
      if (n === largest) {
        rows.push({
          section: "5",
          what: `peak RSS of the provider plugin, ${n}-guest up`,
          value: fmtMiB(mem.providerKiB),
        });
        rows.push({
          section: "5",
          what: `peak RSS of a nix process, ${n}-guest up (${spy.count("nix", "*")} nix calls)`,
          value: fmtMiB(Math.max(spy.nixPeakKiB(), mem.nixKiB)),
        });
        await noopVersusFloor(rows, n, o.noopRounds, {
          lab: () => run(lab, stack, up),
          floorInit: async () => {
            await init(floor, "floor");
            await run(floor, "floor", up);
          },
          floor: () => run(floor, "floor", up),
          spy,
        });
        await destroy(floor, "floor");
      }
      const d = await destroy(lab, stack);
      downs.set(n, d.ms);
      const left = leftovers(`${benchPrefix}g${n}`);
      if (left.length > 0) throw new Error(`destroy of ${n} guests left ${left.join(", ")}`);
      console.log(`  destroy of ${n} guest(s): ${fmtS(d.ms)}, nothing left behind`);
    }
    const one = ups.get(1) ?? Number.NaN;
    const oneDown = downs.get(1) ?? Number.NaN;
    for (const n of o.sizes) {
      rows.push({
        section: "1",
        what: `up, ${n} guest(s), kernel: ${kernelName}`,
        value: fmtS(ups.get(n) ?? Number.NaN),
        ratio: fmtX((ups.get(n) ?? Number.NaN) / one),
        goal: n === largest ? "<= 3x one guest" : "",
      });
    }
    for (const n of o.sizes) {
      const cpu = cpus.get(n) ?? Number.NaN;
      rows.push({
        section: "1",
        what: `CPU used by the guests (QEMU, virtiofsd) during up, ${n} guest(s); / 2 cores`,
        value: `${cpu.toFixed(1)} s`,
        ratio: `${(cpu / 2).toFixed(1)} s`,
      });
    }
    for (const n of o.sizes) {
      rows.push({
        section: "1",
        what: `destroy, ${n} guest(s)`,
        value: fmtS(downs.get(n) ?? Number.NaN),
        ratio: fmtX((downs.get(n) ?? Number.NaN) / oneDown),
      });
    }
    if (o.compareEngineDefaults) {
      const stack = "defaults";
      const defaultsEnv = { ...env };
      for (const k of Object.keys(o.engine)) delete defaultsEnv[k];
      await pulumi(defaultsEnv, lab, ["stack", "init", "-s", stack]);
      live.push({ dir: lab, stack });
      const r = await pulumi(defaultsEnv, lab, [...up, "-s", stack]);
      console.log(`  up of ${largest} guests with the engine's defaults: ${fmtS(r.ms)}`);
      rows.push({
        section: "1",
        what: `up, ${largest} guests, engine defaults (no PULUMI_PARALLEL*)`,
        value: fmtS(r.ms),
        ratio: fmtX(r.ms / one),
      });
      await destroy(lab, stack);
    }
    if (o.packedSizes.length > 0 && !unpacked)
      console.log("  the cached kernel has no unpacked ELF (no PVH entry, or no xz): no packed-kernel rows");
    const packedUps = new Map<number, number>();
    for (const n of unpacked ? o.packedSizes : []) {
      const stack = `z${n}`;
      await init(lab, stack);
      const r = await run(lab, stack, up);
      const cpu = guestCpuSeconds(`${benchPrefix}z${n}`);
      packedUps.set(n, r.ms);
      console.log(`  up of ${n} guest(s), packed vmlinuz: ${fmtS(r.ms)}, guests' CPU ${cpu.toFixed(1)} s`);
      const base = packedUps.get(Math.min(...o.packedSizes)) ?? r.ms;
      rows.push({
        section: "1",
        what: `up, ${n} guest(s) booting the packed vmlinuz instead; guests' CPU ${cpu.toFixed(1)} s`,
        value: fmtS(r.ms),
        ratio: `${fmtX(r.ms / base)} (${fmtX(r.ms / (ups.get(n) ?? Number.NaN))} of vmlinux)`,
      });
      await destroy(lab, stack);
      const left = leftovers(`${benchPrefix}z${n}`);
      if (left.length > 0) throw new Error(`destroy of ${n} guests left ${left.join(", ")}`);
    }
  } finally {
    for (const l of [...live].reverse()) {
      await run(l.dir, l.stack, ["destroy", "--yes", "--skip-preview"], { reject: false });
      await run(l.dir, l.stack, ["stack", "rm", "--yes", "--force"], { reject: false });
    }
    const swept = sweepBenchObjects();
    if (swept.length > 0) console.error(`  swept leftovers: ${swept.join(", ")}`);
    rmSync(work, { recursive: true, force: true });
  }
}

async function noopVersusFloor(
  rows: Row[],
  n: number,
  rounds: number,
  f: {
    lab: () => Promise<EngineRun>;
    floorInit: () => Promise<void>;
    floor: () => Promise<EngineRun>;
    spy: ReturnType<typeof commandSpy>;
  },
): Promise<void> {
  await f.floorInit();
  const lab: number[] = [];
  const floor: number[] = [];
  // One round unmeasured: right after the up, the guests are still settling (their SSH servers
  // start after the lease is taken) and take the CPU the first no-op up would get.
  const first = await f.lab();
  await f.floor();
  console.log(`  first no-op up after the bring-up (not counted): ${fmtS(first.ms)}`);
  f.spy.reset();
  // Alternated, so that a change of the machine's load hits both alike.
  for (let i = 0; i < rounds; i++) {
    const r = await f.lab();
    if (!/unchanged/.test(r.all) || /[+~-] \d+ (created|updated|deleted|replaced)/.test(r.all))
      throw new Error(`the no-op up changed something:\n${r.all.slice(-2000)}`);
    lab.push(r.ms);
    floor.push((await f.floor()).ms);
  }
  const builds = f.spy.count("nix", "build");
  const evals = f.spy.count("nix", "eval");
  const defines = f.spy.count("virsh", "define");
  const starts = f.spy.count("virsh", "start");
  const virshAll = f.spy.count("virsh", "*");
  const bySub = new Map<string, number>();
  for (const c of f.spy.calls().filter((c) => c[0] === "virsh")) {
    const sub = c.slice(1).find((a, i, all) => !a.startsWith("-") && all[i - 1] !== "-c") ?? "?";
    bySub.set(sub, (bySub.get(sub) ?? 0) + 1 / rounds);
  }
  console.log(
    `  virsh calls per no-op up: ${[...bySub].map(([k, v]) => `${k.split(" ")[0]} ${v.toFixed(0)}`).join(", ")}`,
  );
  console.log(
    `  no-op up of ${n} guests: ${lab.map((m) => fmtS(m)).join(", ")}; floor: ${floor.map((m) => fmtS(m)).join(", ")}`,
  );
  const labMs = median(lab);
  const floorMs = median(floor);
  rows.push({
    section: "2",
    what: `engine floor: no-op up, the ${n}-guest tree of no-op resources`,
    value: fmtS(floorMs),
  });
  rows.push({
    section: "2",
    what: `no-op up, ${n}-guest lab (median of ${rounds})`,
    value: fmtS(labMs),
    ratio: fmtX(labMs / floorMs),
    goal: "<= 1.2x floor",
  });
  rows.push({
    section: "2",
    what: `per no-op up: nix build / nix eval / virsh define / virsh start / all virsh calls`,
    value: [builds, evals, defines, starts, virshAll].map((c) => (c / rounds).toFixed(0)).join(" / "),
    goal: "0 builds, 0 define/start",
  });
}
