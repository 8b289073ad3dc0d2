// What many domain operations of one provider process ask libvirt at about the same time, asked
// once and shared: the DHCP leases of a network with the set of active domains (every guest
// waiting for its lease polls these each second: one virsh process per second for all of them,
// not two per guest), and the defined domains (states, URNs, shares) that a lab's checks, diffs
// and deletes each look at. A view is reused while it is younger than the caller allows and, when
// the caller says so, only if it was taken after a given moment (after its own `virsh start`).
import { createHash } from "node:crypto";
import { stable } from "../resource";
import type { Virsh } from "./virsh";
import { virshEach } from "./virsh-batch";

interface Taken<T> {
  at: number;
  value: Promise<T>;
}

/** One value per key, taken again when too old (or taken before the caller's `after`). */
export class SharedView<T> {
  private readonly views = new Map<string, Taken<T>>();

  get(key: string, maxAgeMs: number, after: number, take: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const v = this.views.get(key);
    if (v && now - v.at <= maxAgeMs && v.at >= after) return v.value;
    const value = take();
    const taken = { at: now, value };
    this.views.set(key, taken);
    value.catch(() => {
      if (this.views.get(key) === taken) this.views.delete(key);
    });
    return value;
  }

  /** Forget every view (this process changed what they show). */
  clear(): void {
    this.views.clear();
  }
}

/** Views are per connection: the URI and, for qemu+ssh, the key material (hashed). */
const connection = (v: Virsh): string =>
  v.opts.ssh ? `${v.uri} ${createHash("sha256").update(stable(v.opts.ssh)).digest("hex")}` : v.uri;

/** MAC (lower case) → IPv4 address, from `virsh net-dhcp-leases` (with or without its header). */
export function parseLeases(out: string): Map<string, string> {
  const leases = new Map<string, string>();
  for (const line of out.split("\n")) {
    const m = /\s([0-9a-f]{2}(?::[0-9a-f]{2}){5})\s+ipv4\s+(\d+\.\d+\.\d+\.\d+)(?:\/\d+)?\s/i.exec(
      ` ${line} `,
    );
    if (m?.[1] && m[2]) leases.set(m[1].toLowerCase(), m[2]);
  }
  return leases;
}

/** One UUID per line (`virsh list --uuid`). */
export const parseUuids = (out: string): Set<string> =>
  new Set(
    out
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => /^[0-9a-f-]{36}$/i.test(l)),
  );

export interface LeaseView {
  /** null when the leases could not be read (the caller asks per domain instead). */
  leases: Map<string, string> | null;
  /** UUIDs of the domains that are active (running, paused, shutting down); null when not read. */
  active: Set<string> | null;
}

const leaseViews = new SharedView<LeaseView>();

/** The leases of a network and the active domains, in one virsh process. */
export function leaseView(v: Virsh, network: string, maxAgeMs: number, after: number): Promise<LeaseView> {
  return leaseViews.get(JSON.stringify([connection(v), network]), maxAgeMs, after, async () => {
    // An empty lease table prints nothing, as a failure does: net-info tells them apart.
    const [info, leases, active] = await virshEach(v, [
      ["net-info", network],
      ["net-dhcp-leases", network],
      ["list", "--uuid"],
    ]);
    return {
      leases: info == null ? null : parseLeases(leases ?? ""),
      active: active == null ? null : parseUuids(active),
    };
  });
}

export interface DomainsView {
  /** Every defined domain's UUID. */
  defined: Set<string>;
  /** The active ones. */
  active: Set<string>;
}

const domainViews = new SharedView<DomainsView>();
const definitionViews = new SharedView<Map<string, string | null>>();

/** Defined and active domains of a connection, in one virsh process. */
export function domainsView(v: Virsh, maxAgeMs: number): Promise<DomainsView> {
  return domainViews.get(connection(v), maxAgeMs, 0, async () => {
    const [defined, active] = await virshEach(v, [
      ["list", "--all", "--uuid"],
      ["list", "--uuid"],
    ]);
    return { defined: parseUuids(defined ?? ""), active: parseUuids(active ?? "") };
  });
}

/**
 * name → inactive XML of every defined domain (null where it could not be read): two virsh
 * processes whatever the number of domains.
 */
export function definitionsView(v: Virsh, maxAgeMs: number, after = 0): Promise<Map<string, string | null>> {
  return definitionViews.get(connection(v), maxAgeMs, after, async () => {
    const names = await v.names(["list", "--all", "--name"]);
    const xmls = await virshEach(
      v,
      names.map((n) => ["dumpxml", "--inactive", n]),
    );
    return new Map(names.map((n, i) => [n, xmls[i] ?? null]));
  });
}

/** This process defined, undefined, started or stopped a domain: what the views show is old. */
export function domainsChanged(): void {
  domainViews.clear();
  definitionViews.clear();
  leaseViews.clear();
}

const capabilityViews = new SharedView<string>();

/** `virsh capabilities` (what the host can run: kvm or not), asked once a minute at most. */
export const capabilities = (v: Virsh): Promise<string> =>
  capabilityViews.get(connection(v), 60_000, 0, () => v.exec(["capabilities"]));
