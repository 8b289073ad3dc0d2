// The checks of a Lab config that need the host: files that must exist, names already taken in
// libvirt, memory. They run in the program after the schema and before any resource is
// registered, so a bad config fails in seconds instead of after builds. Every command is an
// argument array, never a shell.
import { execFile } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { defaultDhcpRange } from "../provider/libvirt/network";
import { isNotFound, virshArgs } from "../provider/libvirt/virsh";
import { commandScript } from "../provider/libvirt/virsh-batch";
import { type GuestConfig, type LabConfig, needsPool } from "./lab-config";
import {
  foreignDomain,
  foreignNetwork,
  foreignPool,
  type LibvirtKind,
  type RecordedObject,
  type StackId,
} from "./libvirt-ownership";
import { parseLibvirtUri } from "./libvirt-uri";
import { hostCachedKernel } from "./locations";
import { issuePath } from "./validate";

export type PathKind = "file" | "directory" | "other" | "missing";

export interface VirshResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** What the checks may look at. */
export interface HostEffects {
  pathKind(p: string): PathKind;
  virsh(uri: string, args: readonly string[]): Promise<VirshResult>;
  /** /proc/meminfo of this machine (undefined when unreadable). */
  meminfo(): string | undefined;
  /** Throws when the test kernel scripts/setup-host caches is missing. */
  cachedKernel(): void;
}

export interface HostReport {
  /** Config errors, each "key: message". */
  problems: string[];
  /** Worth saying, not fatal (memory above what is free). */
  warnings: string[];
  /** What was not checked, and why. */
  skipped: string[];
}

const virshTimeoutMs = 120_000; // the first call after libvirtd starts can take ~30 s (QEMU probe)

export const hostEffects: HostEffects = {
  pathKind(p) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return "missing";
    return st.isFile() ? "file" : st.isDirectory() ? "directory" : "other";
  },
  virsh(uri, args) {
    return new Promise((resolve) => {
      execFile(
        "virsh",
        virshArgs(uri, args),
        { encoding: "utf8", timeout: virshTimeoutMs, env: { ...process.env, LC_ALL: "C" } },
        (err, stdout, stderr) => {
          const code = (err as { code?: unknown } | null)?.code;
          resolve({
            exitCode: err ? (typeof code === "number" ? code : -1) : 0,
            stdout,
            stderr: stderr || (err && typeof code !== "number" ? err.message : ""),
          });
        },
      );
    });
  },
  meminfo() {
    try {
      return readFileSync("/proc/meminfo", "utf8");
    } catch {
      return undefined;
    }
  },
  cachedKernel() {
    hostCachedKernel();
  },
};

const instances = (g: GuestConfig): string[] =>
  g.count === 1 ? [g.name] : Array.from({ length: g.count }, (_, i) => `${g.name}-${i + 1}`);

const lastLine = (s: string): string =>
  s
    .trim()
    .split("\n")
    .map((l) => l.replace(/^error:\s*/, "").trim())
    .filter(Boolean)
    .pop() ?? "no message";

/** MemTotal and MemAvailable of /proc/meminfo, in MiB. */
export function parseMeminfo(text: string): { totalMiB: number; availableMiB?: number } | undefined {
  const kib = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text);
    return m ? Math.floor(Number(m[1]) / 1024) : undefined;
  };
  const totalMiB = kib("MemTotal");
  const availableMiB = kib("MemAvailable");
  if (totalMiB === undefined) return undefined;
  return availableMiB === undefined ? { totalMiB } : { totalMiB, availableMiB };
}

/** `virsh nodememstats` (KiB): total, and free + buffers + cached as what is available. */
export function parseNodeMemStats(text: string): { totalMiB: number; availableMiB: number } | undefined {
  const kib = (key: string) => {
    const m = new RegExp(`^${key}\\s*:\\s*(\\d+) KiB`, "m").exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const [total, free, buffers, cached] = ["total", "free", "buffers", "cached"].map(kib);
  if (total === undefined || free === undefined) return undefined;
  return {
    totalMiB: Math.floor(total / 1024),
    availableMiB: Math.floor((free + (buffers ?? 0) + (cached ?? 0)) / 1024),
  };
}

/** This stack, and the libvirt objects its last deployment recorded (or why they could not be read). */
export interface Ours extends StackId {
  recorded: RecordedObject[] | { unreadable: string };
}

export async function checkHost(
  cfg: LabConfig,
  ours: Ours,
  fx: HostEffects = hostEffects,
  where = "nixlab:lab",
): Promise<HostReport> {
  const report: HostReport = { problems: [], warnings: [], skipped: [] };
  const problem = (at: readonly PropertyKey[], message: string) =>
    report.problems.push(`${issuePath(where, at)}: ${message}`);
  const parsed = parseLibvirtUri(cfg.uri);
  const local = !("problem" in parsed) && parsed.local;

  checkPaths(cfg, local, fx, problem, (s) => report.skipped.push(`${where}: ${s}`));
  const names = await listNames(cfg.uri, fx);
  if ("unreachable" in names) {
    problem(["uri"], `cannot reach libvirt at ${cfg.uri}: ${names.unreachable}`);
    return report;
  }
  if ("unreadable" in ours.recorded)
    report.skipped.push(
      `${where}: this stack's state could not be read (${ours.recorded.unreadable}): a network or pool that exists is judged by what it is`,
    );
  const ourRunning = await checkNames(cfg, ours, names, fx, problem);
  await checkMemory(cfg, local, ourRunning, fx, problem, report, where);
  return report;
}

type Problem = (at: readonly PropertyKey[], message: string) => void;

/** Kernel, modules and share folders exist here (for a local URI); the cached kernel when used. */
function checkPaths(
  cfg: LabConfig,
  local: boolean,
  fx: HostEffects,
  problem: Problem,
  skipped: (s: string) => void,
): void {
  let remotePaths = 0;
  const want = (at: readonly PropertyKey[], p: string, kind: "file" | "directory") => {
    if (!local) {
      remotePaths++;
      return;
    }
    const found = fx.pathKind(p);
    if (found === "missing") problem(at, `${p} does not exist`);
    else if (found !== kind) problem(at, `${p} is not a ${kind}`);
  };
  cfg.guests.forEach((g, i) => {
    const usesCache = "demoFixture" in g.closure || (g.backend === "imageless" && g.kernel === undefined);
    if (usesCache) {
      try {
        fx.cachedKernel();
      } catch (err) {
        problem(
          ["guests", i, "kernel"],
          `is not set, and ${(err as Error).message}; or set kernel: { bzImage, modulesDir }`,
        );
      }
    }
    if (g.kernel && "bzImage" in g.kernel) {
      want(["guests", i, "kernel", "bzImage"], g.kernel.bzImage, "file");
      want(["guests", i, "kernel", "modulesDir"], g.kernel.modulesDir, "directory");
    }
    for (const [tag, dir] of Object.entries(g.shares)) want(["guests", i, "shares", tag], dir, "directory");
  });
  if (cfg.guests.some(needsPool) && local && !cfg.pool.existing) {
    const kind = fx.pathKind(cfg.pool.path);
    if (kind === "file" || kind === "other") problem(["pool", "path"], `${cfg.pool.path} is not a directory`);
  }
  if (remotePaths > 0)
    skipped(
      `${remotePaths} kernel, modules and share path(s) not checked: they are on the libvirt host of ${cfg.uri}`,
    );
}

interface Names {
  domains: string[];
  running: string[];
  networks: string[];
  pools: string[];
}

const listCommands = [
  ["list", "--all", "--name"],
  ["list", "--name"],
  ["net-list", "--all", "--name"],
  ["pool-list", "--all", "--name"],
] as const;

async function listNames(uri: string, fx: HostEffects): Promise<Names | { unreachable: string }> {
  const lines = (s: string | undefined) =>
    (s ?? "")
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
  const names = (out: readonly (string | undefined)[]): Names => ({
    domains: lines(out[0]),
    running: lines(out[1]),
    networks: lines(out[2]),
    pools: lines(out[3]),
  });
  // All four lists in one virsh process: one connection (over ssh, one login) instead of four.
  const script = commandScript(listCommands);
  const all = await fx.virsh(uri, [script.text]);
  const outs = script.outputs(all.stdout);
  if (all.exitCode === 0 && !/^error:/m.test(all.stderr) && outs.every((o) => o !== undefined))
    return names(outs);
  // Something failed: one call first, so an unreachable libvirt is reported once, then each list
  // on its own to say which failed.
  const domains = await fx.virsh(uri, [...listCommands[0]]);
  if (domains.exitCode !== 0) return { unreachable: lastLine(domains.stderr) };
  const rest = await Promise.all(listCommands.slice(1).map((a) => fx.virsh(uri, [...a])));
  const failed = rest.find((r) => r.exitCode !== 0);
  if (failed) return { unreachable: lastLine(failed.stderr) };
  return names([domains.stdout, ...rest.map((r) => r.stdout)]);
}

/**
 * The XML of a named object; undefined when it vanished meanwhile; a problem when it cannot be read.
 */
async function dump(
  uri: string,
  fx: HostEffects,
  args: string[],
): Promise<{ xml: string } | { why?: string }> {
  const r = await fx.virsh(uri, args);
  if (r.exitCode === 0) return { xml: r.stdout };
  if (isNotFound(r)) return {};
  return { why: `its XML could not be read to see whose it is (${lastLine(r.stderr)})` };
}

/** Domain, network and pool names the Lab would create but that others hold. Returns our running domains. */
async function checkNames(
  cfg: LabConfig,
  ours: Ours,
  names: Names,
  fx: HostEffects,
  problem: Problem,
): Promise<Set<string>> {
  const on = `on ${cfg.uri}`;
  const recorded = (kind: LibvirtKind, name: string) =>
    !("unreadable" in ours.recorded) &&
    ours.recorded.some((o) => o.kind === kind && o.uri === cfg.uri && o.name === name);
  const ourRunning = new Set<string>();
  const domains = cfg.guests.flatMap((g, i) =>
    instances(g)
      .filter((n) => names.domains.includes(n))
      .map((name) => ({ i, name })),
  );
  for (const { name } of domains)
    if (recorded("domain", name) && names.running.includes(name)) ourRunning.add(name);
  // Only a name this stack did not record needs its XML read to see whose it is (a no-op up of a
  // lab reads none).
  const unknown = domains.filter(({ name }) => !recorded("domain", name));
  const dumps = await Promise.all(unknown.map(({ name }) => dump(cfg.uri, fx, ["dumpxml", name])));
  unknown.forEach(({ i, name }, k) => {
    const d = dumps[k] ?? {};
    const why = "xml" in d ? foreignDomain(d.xml, ours) : d.why;
    if (why !== undefined)
      problem(["guests", i, "name"], `a libvirt domain named ${name} already exists ${on} and ${why}`);
    else if ("xml" in d && names.running.includes(name)) ourRunning.add(name);
  });

  const net = cfg.network;
  if (net.address === undefined) {
    if (!names.networks.includes(net.name))
      problem(
        ["network", "name"],
        `there is no libvirt network named ${net.name} ${on} (give network.address to have nixlab create it)`,
      );
  } else if (names.networks.includes(net.name) && !recorded("network", net.name)) {
    const wanted = { address: net.address, dhcp: net.dhcp ?? defaultDhcpRange(net.address) };
    const d = await dump(cfg.uri, fx, ["net-dumpxml", net.name]);
    const why = "xml" in d ? foreignNetwork(d.xml, wanted) : d.why;
    if (why !== undefined)
      problem(["network", "name"], `a libvirt network named ${net.name} already exists ${on} and ${why}`);
  }

  if (cfg.guests.some(needsPool)) {
    const pool = cfg.pool;
    if (pool.existing) {
      // Adopted: it must be there; whose it is, is the config's say.
      if (!names.pools.includes(pool.name))
        problem(["pool", "name"], `there is no libvirt storage pool named ${pool.name} ${on} to adopt`);
    } else if (names.pools.includes(pool.name)) {
      // What this stack recorded is its own: nothing to read.
      if (recorded("pool", pool.name)) return ourRunning;
      const d = await dump(cfg.uri, fx, ["pool-dumpxml", pool.name]);
      // An inactive pool lists no volumes (the provider counts it as empty too).
      const vols = await fx.virsh(cfg.uri, ["vol-list", pool.name]);
      const count = vols.exitCode === 0 ? vols.stdout.split("\n").filter((l) => l.trim()).length : 0;
      const why = "xml" in d ? foreignPool(d.xml, pool.path, count) : d.why;
      if (why !== undefined)
        problem(
          ["pool", "name"],
          `a libvirt storage pool named ${pool.name} already exists ${on} and ${why}`,
        );
    } else {
      // libvirt refuses a second dir pool on the same directory.
      const others = await Promise.all(
        names.pools.map(async (other) => ({ other, r: await fx.virsh(cfg.uri, ["pool-dumpxml", other]) })),
      );
      for (const { other, r } of others) {
        const target = r.exitCode === 0 ? /<target>\s*<path>([^<]*)<\/path>/.exec(r.stdout)?.[1] : undefined;
        if (target && path.resolve(target) === path.resolve(pool.path))
          problem(
            ["pool", "path"],
            `${pool.path} is already the directory of libvirt storage pool ${other} ${on}`,
          );
      }
    }
  }
  return ourRunning;
}

async function checkMemory(
  cfg: LabConfig,
  local: boolean,
  ourRunning: Set<string>,
  fx: HostEffects,
  problem: Problem,
  report: HostReport,
  where: string,
): Promise<void> {
  let mem: { totalMiB: number; availableMiB?: number } | undefined;
  let source: string;
  if (local) {
    const text = fx.meminfo();
    mem = text === undefined ? undefined : parseMeminfo(text);
    source = "/proc/meminfo";
  } else {
    const stats = await fx.virsh(cfg.uri, ["nodememstats"]);
    mem = stats.exitCode === 0 ? parseNodeMemStats(stats.stdout) : undefined;
    source = "virsh nodememstats";
    if (!mem) {
      const info = await fx.virsh(cfg.uri, ["nodeinfo"]);
      const m = /^Memory size:\s*(\d+) KiB/m.exec(info.stdout);
      if (info.exitCode === 0 && m) mem = { totalMiB: Math.floor(Number(m[1]) / 1024) };
      source = "virsh nodeinfo";
    }
  }
  if (!mem) {
    report.skipped.push(
      `${where}: guest memory not checked: the host's memory could not be read (${source})`,
    );
    return;
  }
  const total = mem.totalMiB;
  cfg.guests.forEach((g, i) => {
    if (g.memoryMiB > total)
      problem(["guests", i, "memoryMiB"], `${g.memoryMiB} MiB is more than the host's ${total} MiB of RAM`);
  });
  if (mem.availableMiB === undefined) {
    report.skipped.push(`${where}: free memory not checked: ${source} does not say how much is available`);
    return;
  }
  // Guests of this stack that already run hold their memory: only the others need it free.
  const starting = cfg.guests.flatMap((g) =>
    instances(g)
      .filter((n) => !ourRunning.has(n))
      .map(() => g.memoryMiB),
  );
  const wanted = starting.reduce((a, b) => a + b, 0);
  if (wanted > mem.availableMiB)
    report.warnings.push(
      `${where}: the guests to start ask for ${wanted} MiB in all, more than the ${mem.availableMiB} MiB the host has available (of ${total} MiB): they may fail to start or swap`,
    );
}
