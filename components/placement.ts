// Which host each guest runs on: pure logic, no effects. Guests that name a host go there; a
// guest that ran on a host before stays there while it still fits (so a re-run, an added host
// or an added guest moves no running guest); the rest are packed, largest first (memory, then
// vcpus, then name), onto the first host in config order with room for them. Both vcpus and
// memory are hard limits. When guests do not fit, nothing is placed and the answer names them
// with what they lack.

export interface HostCapacity {
  name: string;
  vcpus: number;
  memoryMiB: number;
}

export interface GuestDemand {
  name: string;
  vcpus: number;
  memoryMiB: number;
  /** The host the config names for this guest. */
  host?: string | undefined;
}

export interface Room {
  vcpus: number;
  memoryMiB: number;
}

export type PlacementResult =
  | { ok: true; hostOf: Record<string, string>; free: Record<string, Room> }
  | { ok: false; problems: string[] };

const fits = (room: Room, g: Room): boolean => g.vcpus <= room.vcpus && g.memoryMiB <= room.memoryMiB;

const describe = (r: Room): string => `${r.memoryMiB} MiB and ${r.vcpus} vcpus`;

/** Largest first: memory, then vcpus; the name breaks ties, so the order never depends on input order. */
export function packingOrder<G extends Room & { name: string }>(guests: readonly G[]): G[] {
  return [...guests].sort(
    (a, b) =>
      b.memoryMiB - a.memoryMiB || b.vcpus - a.vcpus || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

/**
 * Place every guest. `previous` is the placement of the last deployment (guest → host), from
 * the stack's state: a guest keeps its host while that host is still configured and has room.
 */
export function place(
  hosts: readonly HostCapacity[],
  guests: readonly GuestDemand[],
  previous: Readonly<Record<string, string>> = {},
): PlacementResult {
  const problems: string[] = [];
  const free = new Map<string, Room>(hosts.map((h) => [h.name, { vcpus: h.vcpus, memoryMiB: h.memoryMiB }]));
  const hostOf: Record<string, string> = {};
  const take = (g: GuestDemand, host: string): void => {
    const room = free.get(host) as Room;
    free.set(host, { vcpus: room.vcpus - g.vcpus, memoryMiB: room.memoryMiB - g.memoryMiB });
    hostOf[g.name] = host;
  };

  // 1. Guests that name their host: the config decides.
  for (const g of packingOrder(guests.filter((x) => x.host !== undefined))) {
    const host = g.host as string;
    const room = free.get(host);
    if (room === undefined) problems.push(`${g.name}: names host ${host}, which is not in hosts`);
    else if (!fits(room, g))
      problems.push(
        `${g.name}: needs ${describe(g)} but its host ${host} has ${describe(room)} left (short by ${describe(shortfall(room, g))})`,
      );
    else take(g, host);
  }
  // 2. Guests that ran somewhere before stay there while they fit.
  const rest = packingOrder(guests.filter((x) => x.host === undefined));
  for (const g of rest) {
    const host = previous[g.name];
    const room = host === undefined ? undefined : free.get(host);
    if (host !== undefined && room !== undefined && fits(room, g)) take(g, host);
  }
  // 3. The others, largest first, on the first host with room.
  const unplaced: GuestDemand[] = [];
  for (const g of rest) {
    if (hostOf[g.name] !== undefined) continue;
    const host = hosts.find((h) => fits(free.get(h.name) as Room, g));
    if (host) take(g, host.name);
    else unplaced.push(g);
  }
  if (unplaced.length > 0) problems.push(...doNotFit(unplaced, free));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, hostOf, free: Object.fromEntries(free) };
}

const shortfall = (room: Room, need: Room): Room => ({
  vcpus: Math.max(0, need.vcpus - room.vcpus),
  memoryMiB: Math.max(0, need.memoryMiB - room.memoryMiB),
});

/** The message for guests no host has room for: each guest's needs, and the hosts' room in sum. */
function doNotFit(unplaced: readonly GuestDemand[], free: ReadonlyMap<string, Room>): string[] {
  const need = unplaced.reduce(
    (s, g) => ({ vcpus: s.vcpus + g.vcpus, memoryMiB: s.memoryMiB + g.memoryMiB }),
    {
      vcpus: 0,
      memoryMiB: 0,
    },
  );
  const left = [...free.values()].reduce(
    (s, r) => ({ vcpus: s.vcpus + r.vcpus, memoryMiB: s.memoryMiB + r.memoryMiB }),
    { vcpus: 0, memoryMiB: 0 },
  );
  const rooms = [...free.entries()].map(([h, r]) => `${h} ${describe(r)}`).join(", ");
  const short = shortfall(left, need);
  const total =
    short.vcpus > 0 || short.memoryMiB > 0
      ? `short by ${describe(short)} in all`
      : "enough in all, but not on one host for each";
  return [
    `guests ${unplaced.map((g) => `${g.name} (${describe(g)})`).join(", ")} do not fit on any host: they need ${describe(need)}, the hosts have ${rooms} left (${total})`,
  ];
}
