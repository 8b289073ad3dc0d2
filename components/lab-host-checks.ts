// The host checks (host-checks.ts: names taken in libvirt, files, memory) for a lab with
// `hosts`: run once per host, on the guests placed there, through that host's URI and SSH
// settings. A controller host is skipped: what it runs is only there after its activation.
import { execaRunner } from "../provider/exec";
import { Virsh } from "../provider/libvirt/virsh";
import { checkHost, type HostEffects, type HostReport, hostEffects, type Ours } from "./host-checks";
import type { LabConfig } from "./lab-config";
import { instancesOf, type PlannedHost } from "./lab-hosts";

/** Effects that reach an ssh host's libvirt with its own key and pinned host key. */
export function effectsFor(host: PlannedHost, privateKey: string | undefined): HostEffects {
  if (!host.ssh) return hostEffects;
  const ssh = {
    ...(privateKey ? { privateKey } : {}),
    ...(host.ssh.identityFile ? { identityFile: host.ssh.identityFile } : {}),
    ...(host.ssh.knownHosts ? { knownHosts: host.ssh.knownHosts } : {}),
    hostKeyChecking: host.ssh.hostKeyChecking,
    connectTimeoutSeconds: 20,
  };
  return {
    ...hostEffects,
    virsh: (uri, args) =>
      new Virsh(execaRunner, uri, { ssh, retryForMs: 0, timeoutMs: 120_000 }).attempt(args),
  };
}

/** The lab as one host sees it: its URI, pool, network, and the guest instances placed on it. */
export function labOnHost(cfg: LabConfig, host: PlannedHost, placement: Record<string, string>): LabConfig {
  const guests = cfg.guests.flatMap((g) =>
    instancesOf(g)
      .filter((n) => placement[n] === host.name)
      .map((n) => ({ ...g, name: n, count: 1 })),
  );
  return { ...cfg, uri: host.uri, pool: host.pool, network: host.network, guests };
}

/** Every host's report, its keys prefixed with the host (nixlab:lab.hosts[i]). */
export async function checkLabHosts(
  cfg: LabConfig,
  hosts: readonly PlannedHost[],
  placement: Record<string, string>,
  ours: Ours,
  keyOf: (host: string) => string | undefined,
): Promise<HostReport> {
  const all: HostReport = { problems: [], warnings: [], skipped: [] };
  if (!cfg.hosts) return checkHost(cfg, ours);
  for (const h of hosts) {
    const lab = labOnHost(cfg, h, placement);
    if (lab.guests.length === 0) continue;
    const where = `nixlab:lab.hosts[${h.index}] (${h.name})`;
    if (h.controller) {
      all.skipped.push(`${where}: not checked before its controller activation`);
      continue;
    }
    const r = await checkHost(lab, ours, effectsFor(h, keyOf(h.name)), where);
    all.problems.push(...r.problems);
    all.warnings.push(...r.warnings);
    all.skipped.push(...r.skipped);
  }
  return all;
}
