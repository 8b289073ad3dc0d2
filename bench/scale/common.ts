// Shared pieces of the scale benchmark (bench/scale.ts): names, scratch space, the engine runner,
// spies on PATH, a peak-memory sampler, leak checks and the result table.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { execa } from "execa";
import { libvirtObjects } from "../../tests/faults/leaks";
import { nixEnv } from "../../tests/support/env";
import { pulumiBinDir, repoRoot } from "../../tests/support/paths";

/** Every libvirt object this run makes starts with this; nothing else is ever touched. */
export const benchPrefix = `nixlab-bench-${process.pid}-`;
export const uri = "qemu:///system";

/** Scratch space QEMU (user libvirt-qemu) can read. Removed at the end. */
export function benchWorkDir(label: string): string {
  const root = process.env.NIXLAB_BENCH_WORKDIR ?? "/var/tmp/nixlab-bench";
  mkdirSync(root, { recursive: true, mode: 0o755 });
  chmodSync(root, 0o755);
  const dir = path.join(root, `${label}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  return dir;
}

export const seconds = (ms: number): number => ms / 1000;
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/**
 * Wrappers for `nix` and `virsh` on PATH that log each invocation (sub-command first) and then run
 * the real tool: how the benchmark counts builds and define/start calls made inside the provider
 * plugin that the engine spawned.
 */
export interface Spy {
  binDir: string;
  /** Calls since the last reset, as [tool, ...args]. */
  calls(): string[][];
  count(tool: string, sub: string): number;
  /** The largest peak memory (KiB) of one nix process since the last reset (0 without GNU time). */
  nixPeakKiB(): number;
  reset(): void;
}

export function commandSpy(dir: string, tools: string[] = ["nix", "virsh"]): Spy {
  const binDir = path.join(dir, "spy-bin");
  const log = path.join(dir, "spy-calls.log");
  const memLog = path.join(dir, "spy-nix-maxrss.log");
  mkdirSync(binDir, { recursive: true });
  for (const tool of tools) {
    const real = execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
    // One line per call, written with a single printf (atomic for short lines under O_APPEND).
    // nix runs under GNU time when it is there, which records each process's peak memory.
    const time =
      tool === "nix" && existsSync("/usr/bin/time") ? `/usr/bin/time -a -o '${memLog}' -f '%M' ` : "";
    const script = `#!/bin/sh\nprintf '%s %s\\n' '${tool}' "$*" >> '${log}'\nexec ${time}'${real}' "$@"\n`;
    writeFileSync(path.join(binDir, tool), script);
    chmodSync(path.join(binDir, tool), 0o755);
  }
  const calls = (): string[][] =>
    existsSync(log)
      ? readFileSync(log, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => l.split(" "))
      : [];
  // virsh's own options (-q, -c URI) come before its command.
  const subOf = (c: string[]): string | undefined => {
    const args = c.slice(1);
    for (let i = 0; i < args.length; i++) {
      if (args[i] === "-c") i++;
      else if (!args[i]?.startsWith("-")) return args[i];
    }
    return undefined;
  };
  return {
    binDir,
    calls,
    count: (tool, sub) => calls().filter((c) => c[0] === tool && (sub === "*" || subOf(c) === sub)).length,
    nixPeakKiB: () =>
      existsSync(memLog)
        ? Math.max(0, ...readFileSync(memLog, "utf8").split("\n").map(Number).filter(Number.isFinite))
        : 0,
    reset: () => {
      writeFileSync(log, "");
      writeFileSync(memLog, "");
    },
  };
}

export interface EngineRun {
  ms: number;
  exitCode: number;
  all: string;
}

/** A private PULUMI_HOME + file:// backend under `dir`, as tests/support/pulumi.ts makes them. */
export function engineEnv(dir: string, extra: Record<string, string>, pathPrepend: string[]) {
  const home = path.join(dir, "pulumi-home");
  const state = path.join(dir, "pulumi-state");
  mkdirSync(home, { recursive: true });
  mkdirSync(state, { recursive: true });
  return {
    ...process.env,
    ...nixEnv(),
    PATH: [...pathPrepend, pulumiBinDir(), process.env.PATH].join(":"),
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: "nixlab-bench",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    ...extra,
  } as Record<string, string>;
}

/** Where each engine run's output is kept (printed at the end of the benchmark). */
export const logDir = path.join(
  process.env.NIXLAB_BENCH_WORKDIR ?? "/var/tmp/nixlab-bench",
  `logs-${process.pid}`,
);
let runs = 0;

/** Run the engine; `onPid` gets the CLI's process id (for the memory sampler). */
export async function pulumi(
  env: Record<string, string>,
  cwd: string,
  args: string[],
  opts: { reject?: boolean; onPid?: (pid: number) => void; timeoutMs?: number } = {},
): Promise<EngineRun> {
  const t0 = performance.now();
  const child = execa("pulumi", [...args, "--non-interactive"], {
    cwd,
    env,
    extendEnv: false,
    reject: false,
    all: true,
    input: "",
    timeout: opts.timeoutMs ?? 20 * 60_000,
  });
  if (child.pid !== undefined) opts.onPid?.(child.pid);
  const r = await child;
  const ms = performance.now() - t0;
  const all = String(r.all ?? "");
  mkdirSync(logDir, { recursive: true });
  runs += 1;
  const label = [path.basename(cwd), ...args.filter((a) => !a.startsWith("-"))].join("-");
  writeFileSync(
    path.join(logDir, `${String(runs).padStart(3, "0")}-${label}.log`),
    `${(ms / 1000).toFixed(2)} s, exit ${r.exitCode}\n${all}`,
  );
  if ((opts.reject ?? true) && r.exitCode !== 0)
    throw new Error(`pulumi ${args.join(" ")} failed (exit ${r.exitCode}):\n${all.slice(-4000)}`);
  return { ms, exitCode: r.exitCode ?? -1, all };
}

/** A Pulumi project folder: Pulumi.yaml + a stack file, with dist/ and node_modules linked in. */
export function projectDir(
  dir: string,
  project: { name: string; main: string; providers: { name: string; path: string }[] },
  stacks: Record<string, unknown>,
): string {
  mkdirSync(dir, { recursive: true });
  const plugins = project.providers.map((p) => `    - name: ${p.name}\n      path: ${p.path}\n`).join("");
  writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    `name: ${project.name}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: ${project.main}\nplugins:\n  providers:\n${plugins}`,
  );
  for (const [stack, config] of Object.entries(stacks))
    writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), `${JSON.stringify({ config }, null, 2)}\n`);
  writeFileSync(path.join(dir, "package.json"), readFileSync(path.join(repoRoot, "package.json")));
  for (const link of ["dist", "node_modules"])
    if (!existsSync(path.join(dir, link)))
      execFileSync("ln", ["-s", path.join(repoRoot, link), path.join(dir, link)]);
  return dir;
}

/**
 * Peak resident memory (VmHWM) of the processes below one root process, sampled: the provider
 * plugin (its node process) and nix processes. A nix process shorter than the interval can be
 * missed; the figure is a lower bound.
 */
export class MemorySampler {
  private timer: NodeJS.Timeout | undefined;
  private readonly peaks = new Map<string, number>();
  private nixSum = 0;

  constructor(
    private readonly rootPid: () => number | undefined,
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): { providerKiB: number; nixKiB: number; nixConcurrentKiB: number } {
    if (this.timer) clearInterval(this.timer);
    return {
      providerKiB: this.peaks.get("provider") ?? 0,
      nixKiB: this.peaks.get("nix") ?? 0,
      nixConcurrentKiB: this.nixSum,
    };
  }

  private sample(): void {
    const root = this.rootPid();
    if (root === undefined) return;
    let nixNow = 0;
    for (const pid of descendants(root)) {
      const kind = classify(pid);
      if (!kind) continue;
      const st = status(pid);
      if (!st) continue;
      this.peaks.set(kind, Math.max(this.peaks.get(kind) ?? 0, st.hwm));
      if (kind === "nix") nixNow += st.rss;
    }
    this.nixSum = Math.max(this.nixSum, nixNow);
  }
}

function descendants(root: number): number[] {
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    out.push(pid);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").split(" "))
          if (c.trim()) stack.push(Number(c));
      } catch {
        // gone meanwhile
      }
    }
  }
  return out;
}

function classify(pid: number): "provider" | "nix" | undefined {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    if (path.basename(cmd[0] ?? "") === "nix") return "nix";
    if (cmd.some((a) => a.endsWith("dist/provider/main.js"))) return "provider";
  } catch {
    // gone meanwhile
  }
  return undefined;
}

function status(pid: number): { hwm: number; rss: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(s)?.[1] ?? 0);
    return { hwm: kib("VmHWM"), rss: kib("VmRSS") };
  } catch {
    return undefined;
  }
}

/** libvirt objects (domains, pools, networks) of this run still defined. */
export const leftovers = (prefix = benchPrefix): string[] => libvirtObjects(prefix);

/** Remove whatever of this run is left (domains, then volumes and pools): the last resort on failure. */
export function sweepBenchObjects(prefix = benchPrefix): string[] {
  const virsh = (args: string[]): string => {
    try {
      return execFileSync("virsh", ["-q", "-c", uri, ...args], { encoding: "utf8", stdio: "pipe" });
    } catch {
      return "";
    }
  };
  const names = (args: string[]) =>
    virsh(args)
      .split("\n")
      .map((n) => n.trim())
      .filter((n) => n.startsWith(prefix));
  const swept: string[] = [];
  for (const d of names(["list", "--all", "--name"])) {
    virsh(["destroy", d]);
    virsh(["undefine", d, "--nvram"]);
    swept.push(`domain ${d}`);
  }
  for (const p of names(["pool-list", "--all", "--name"])) {
    for (const line of virsh(["vol-list", p]).split("\n")) {
      const vol = line.trim().split(/\s+/)[0];
      if (vol) virsh(["vol-delete", vol, "--pool", p]);
    }
    virsh(["pool-destroy", p]);
    virsh(["pool-undefine", p]);
    swept.push(`pool ${p}`);
  }
  for (const n of names(["net-list", "--all", "--name"])) {
    virsh(["net-destroy", n]);
    virsh(["net-undefine", n]);
    swept.push(`network ${n}`);
  }
  return swept;
}

/** One row of the result table. */
export interface Row {
  section: string;
  what: string;
  value: string;
  ratio?: string;
  goal?: string;
}

export const fmtS = (ms: number): string => `${seconds(ms).toFixed(2)} s`;
export const fmtX = (x: number): string => `${x.toFixed(2)}x`;
export const fmtMiB = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;

export function printTable(rows: Row[]): void {
  const head: Row = { section: "#", what: "measure", value: "value", ratio: "ratio", goal: "goal" };
  const all = [head, ...rows];
  const w = (k: keyof Row) => Math.max(...all.map((r) => (r[k] ?? "").length));
  const line = (r: Row) =>
    `| ${r.section.padEnd(w("section"))} | ${r.what.padEnd(w("what"))} | ${r.value.padStart(w("value"))} | ${(r.ratio ?? "").padStart(w("ratio"))} | ${(r.goal ?? "").padEnd(w("goal"))} |`;
  console.log(line(head));
  console.log(
    `| ${"-".repeat(w("section"))} | ${"-".repeat(w("what"))} | ${"-".repeat(w("value") - 1)}: | ${"-".repeat(w("ratio") - 1)}: | ${"-".repeat(w("goal"))} |`,
  );
  for (const r of rows) console.log(line(r));
}

/**
 * CPU seconds (user + system) the QEMU and virtiofsd processes of running domains named
 * `prefix*` have used so far: what booting them cost, whoever waited for it.
 */
export function guestCpuSeconds(prefix: string): number {
  const dir = "/run/libvirt/qemu";
  const hz = 100; // USER_HZ on Linux
  let ticks = 0;
  for (const f of existsSync(dir) ? readdirSync(dir) : []) {
    // <name>.pid for QEMU, <id>-<name>-fs<N>-fs.pid for virtiofsd
    const name = f.replace(/^\d+-/, "");
    if (!name.startsWith(prefix) || !f.endsWith(".pid")) continue;
    try {
      const pid = readFileSync(path.join(dir, f), "utf8").trim();
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks / hz;
}

/**
 * A NAT network of this run on a /24 that no interface of the host uses: guests of the benchmark
 * take their leases there, not from `default`, whose address pool other work on the machine shares
 * (a busy day's leases, an hour each, can exhaust it). Returns its name; sweepBenchObjects removes it.
 */
export function benchNetwork(dir: string): string {
  const used = execFileSync("ip", ["-4", "-o", "addr"], { encoding: "utf8" });
  const free = Array.from({ length: 200 }, (_, i) => 20 + ((process.pid + i) % 200)).find(
    (third) => !used.includes(` 10.213.${third}.`),
  );
  if (free === undefined) throw new Error("no free 10.213.x.0/24 for the benchmark's network");
  const name = `${benchPrefix}net`;
  const net = `10.213.${free}`;
  const xml = path.join(dir, "network.xml");
  writeFileSync(
    xml,
    `<network><name>${name}</name><forward mode="nat"/><ip address="${net}.1" netmask="255.255.255.0"><dhcp><range start="${net}.2" end="${net}.254"/></dhcp></ip></network>\n`,
  );
  execFileSync("virsh", ["-q", "-c", uri, "net-define", xml], { stdio: "ignore" });
  execFileSync("virsh", ["-q", "-c", uri, "net-start", name], { stdio: "ignore" });
  return name;
}
