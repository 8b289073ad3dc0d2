// The hosts of a Lab as it deploys them: the configured `hosts` (or the one machine `uri`
// names), each with its libvirt URI, SSH settings, Nix store, pool and network; and which host
// each guest runs on (placement.ts), keeping the placement of the stack's last deployment.
import type { HostSsh, LabHost } from "./hosts-config";
import type { GuestConfig, LabConfig } from "./lab-config";
import type { RecordedObject } from "./libvirt-ownership";
import { parseLibvirtUri } from "./libvirt-uri";
import { type GuestDemand, place } from "./placement";
import { ConfigError } from "./validate";

export interface PlannedHost {
  name: string;
  /** Index in `hosts` (undefined for the implicit host of a config without hosts). */
  index?: number;
  /** libvirt URI: the lab's uri for this machine, qemu+ssh://user@address[:port]/system for the others. */
  uri: string;
  /** How it is reached over SSH (no key: that is the secret nixlab:hostKeys.<name> or identityFile). */
  ssh?: HostSsh;
  /** Its Nix store, when it is not this machine's: where closures and kernels are copied. */
  nixStore?: string;
  pool: LabConfig["pool"];
  network: LabConfig["network"];
  capacity?: { vcpus: number; memoryMiB: number };
  controller?: LabHost["controller"];
}

/** The libvirt URI of a host reached over SSH. */
export function sshHostUri(s: Pick<HostSsh, "user" | "address" | "port">): string {
  const host = s.address.includes(":") && !s.address.startsWith("[") ? `[${s.address}]` : s.address;
  return `qemu+ssh://${s.user}@${host}${s.port !== 22 ? `:${s.port}` : ""}/system`;
}

/** Name of the implicit host of a config without hosts: the URI's host, or "local". */
export function implicitHostName(uri: string): string {
  const p = parseLibvirtUri(uri);
  return "problem" in p || p.local || !p.host ? "local" : p.host;
}

export function planHosts(cfg: LabConfig): PlannedHost[] {
  if (!cfg.hosts)
    return [{ name: implicitHostName(cfg.uri), uri: cfg.uri, pool: cfg.pool, network: cfg.network }];
  return cfg.hosts.map((h, index) => {
    // A host's own pool folder keeps the lab's (per-stack) pool name.
    const pool = h.pool && !cfg.pool.existing ? { ...cfg.pool, path: h.pool.path } : cfg.pool;
    return {
      name: h.name,
      index,
      uri: h.ssh ? sshHostUri(h.ssh) : cfg.uri,
      ...(h.ssh ? { ssh: h.ssh, nixStore: h.nixStore ?? `ssh-ng://${h.ssh.user}@${h.ssh.address}` } : {}),
      pool,
      network: h.network ?? cfg.network,
      capacity: h.capacity,
      ...(h.controller ? { controller: h.controller } : {}),
    };
  });
}

/** Instance names of a guest entry: the name itself, or name-1 … name-N. */
export const instancesOf = (g: Pick<GuestConfig, "name" | "count">): string[] =>
  g.count === 1 ? [g.name] : Array.from({ length: g.count }, (_, i) => `${g.name}-${i + 1}`);

/** Guest → host of the stack's last deployment, from the domains it recorded (matched by URI). */
export function previousPlacement(
  recorded: readonly RecordedObject[] | { unreadable: string },
  hosts: readonly PlannedHost[],
): Record<string, string> {
  if (!Array.isArray(recorded)) return {};
  const byUri = new Map(hosts.map((h) => [h.uri, h.name]));
  const out: Record<string, string> = {};
  for (const o of recorded) {
    const host = byUri.get(o.uri);
    if (o.kind === "domain" && host !== undefined) out[o.name] = host;
  }
  return out;
}

/**
 * Which host each guest instance runs on. Without hosts, all on the one host. With hosts, by
 * placement: the last deployment's placement is kept where it still fits; when keeping it makes
 * the guests not fit, a fresh placement is tried (some guests then move, which is said).
 * Throws a ConfigError naming the guests that do not fit and what they lack.
 */
export function placeInstances(
  cfg: LabConfig,
  hosts: readonly PlannedHost[],
  previous: Record<string, string>,
  warn: (message: string) => void = () => {},
): Record<string, string> {
  const only = hosts[0] as PlannedHost;
  if (!cfg.hosts) return Object.fromEntries(cfg.guests.flatMap(instancesOf).map((n) => [n, only.name]));
  const demands: GuestDemand[] = cfg.guests.flatMap((g) =>
    instancesOf(g).map((name) => ({ name, vcpus: g.vcpus, memoryMiB: g.memoryMiB, host: g.host })),
  );
  const capacities = hosts.map((h) => ({ name: h.name, ...(h.capacity ?? { vcpus: 0, memoryMiB: 0 }) }));
  const kept = place(capacities, demands, previous);
  if (kept.ok) return kept.hostOf;
  const fresh = place(capacities, demands);
  if (fresh.ok) {
    const moved = Object.keys(fresh.hostOf).filter(
      (g) => previous[g] !== undefined && previous[g] !== fresh.hostOf[g],
    );
    if (moved.length > 0)
      warn(
        `nixlab:lab: the guests do not fit where they ran before; ${moved.map((g) => `${g} moves to ${fresh.hostOf[g]}`).join(", ")} (replaced)`,
      );
    return fresh.hostOf;
  }
  throw new ConfigError(
    "nixlab:lab",
    kept.problems.map((p) => `nixlab:lab.hosts: ${p}`),
  );
}
