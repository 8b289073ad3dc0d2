// Placement of guests on hosts (pure logic): fits, does not fit, stable under a re-run, an added
// host and an added guest.
import { type GuestDemand, type HostCapacity, packingOrder, place } from "../../components/placement";

const host = (name: string, memoryMiB: number, vcpus: number): HostCapacity => ({ name, memoryMiB, vcpus });
const guest = (name: string, memoryMiB: number, vcpus: number, pinned?: string): GuestDemand => ({
  name,
  memoryMiB,
  vcpus,
  ...(pinned ? { host: pinned } : {}),
});

const placed = (r: ReturnType<typeof place>): Record<string, string> => {
  if (!r.ok) throw new Error(`expected a placement, got: ${r.problems.join("; ")}`);
  return r.hostOf;
};

describe("place", () => {
  test.each([
    {
      what: "one host, everything fits",
      hosts: [host("a", 4096, 4)],
      guests: [guest("x", 1024, 1), guest("y", 2048, 2)],
      want: { x: "a", y: "a" },
    },
    {
      what: "packs the first host before the second, largest first",
      hosts: [host("a", 4096, 8), host("b", 4096, 8)],
      guests: [guest("s1", 1024, 1), guest("big", 3072, 2), guest("s2", 1024, 1)],
      // big (3072) on a, then s1 fills a; s2 finds no room on a.
      want: { big: "a", s1: "a", s2: "b" },
    },
    {
      what: "memory first, then vcpus, then the name order equal guests",
      hosts: [host("a", 2048, 3), host("b", 2048, 3)],
      guests: [guest("m", 1024, 1), guest("k", 1024, 2), guest("j", 1024, 2)],
      // j and k (1024, 2 vcpus) come before m; j then k by name: j on a, k on b (a has 1 vcpu left), m on a.
      want: { j: "a", k: "b", m: "a" },
    },
    {
      what: "vcpus are a limit too",
      hosts: [host("a", 65536, 2), host("b", 65536, 8)],
      guests: [guest("x", 512, 4)],
      want: { x: "b" },
    },
    {
      what: "a guest that names its host goes there even when another has more room",
      hosts: [host("a", 8192, 8), host("b", 2048, 2)],
      guests: [guest("x", 1024, 1, "b"), guest("y", 1024, 1)],
      want: { x: "b", y: "a" },
    },
    {
      what: "exactly full is full",
      hosts: [host("a", 2048, 2)],
      guests: [guest("x", 1024, 1), guest("y", 1024, 1)],
      want: { x: "a", y: "a" },
    },
  ])("$what", ({ hosts, guests, want }) => {
    expect(placed(place(hosts, guests))).toEqual(want);
  });

  test.each([
    {
      what: "too little memory in all",
      hosts: [host("a", 2048, 8), host("b", 1024, 8)],
      guests: [guest("x", 2048, 1), guest("y", 2048, 1)],
      problems: [
        "guests y (2048 MiB and 1 vcpus) do not fit on any host: they need 2048 MiB and 1 vcpus, the hosts have a 0 MiB and 7 vcpus, b 1024 MiB and 8 vcpus left (short by 1024 MiB and 0 vcpus in all)",
      ],
    },
    {
      what: "enough in all but fragmented",
      hosts: [host("a", 1536, 4), host("b", 1536, 4)],
      guests: [guest("x", 2048, 1)],
      problems: [
        "guests x (2048 MiB and 1 vcpus) do not fit on any host: they need 2048 MiB and 1 vcpus, the hosts have a 1536 MiB and 4 vcpus, b 1536 MiB and 4 vcpus left (enough in all, but not on one host for each)",
      ],
    },
    {
      what: "a named host that is not configured, and one without room",
      hosts: [host("a", 1024, 1)],
      guests: [guest("x", 512, 1, "nowhere"), guest("y", 2048, 2, "a")],
      problems: [
        "y: needs 2048 MiB and 2 vcpus but its host a has 1024 MiB and 1 vcpus left (short by 1024 MiB and 1 vcpus)",
        "x: names host nowhere, which is not in hosts",
      ],
    },
    {
      what: "several guests that do not fit are named together",
      hosts: [host("a", 1024, 2)],
      guests: [guest("x", 1024, 1), guest("y", 1024, 1), guest("z", 512, 4)],
      problems: [
        "guests y (1024 MiB and 1 vcpus), z (512 MiB and 4 vcpus) do not fit on any host: they need 1536 MiB and 5 vcpus, the hosts have a 0 MiB and 1 vcpus left (short by 1536 MiB and 4 vcpus in all)",
      ],
    },
  ])("does not fit: $what", ({ hosts, guests, problems }) => {
    const r = place(hosts, guests);
    expect(r).toEqual({ ok: false, problems });
  });

  const hosts = [host("a", 4096, 4), host("b", 4096, 4)];
  const guests = [guest("g1", 2048, 1), guest("g2", 2048, 1), guest("g3", 1024, 1), guest("g4", 1024, 1)];

  test("a re-run places the same guests on the same hosts, whatever the config order", () => {
    const first = placed(place(hosts, guests));
    expect(placed(place(hosts, [...guests].reverse()))).toEqual(first);
    expect(placed(place(hosts, guests, first))).toEqual(first);
  });

  test("an added host moves no guest, appended or inserted before the others", () => {
    const first = placed(place(hosts, guests));
    expect(first).toEqual({ g1: "a", g2: "a", g3: "b", g4: "b" });
    const big = host("big", 65536, 64);
    expect(placed(place([...hosts, big], guests, first))).toEqual(first);
    // First in the list, the new host would take every guest of a fresh placement…
    expect(Object.values(placed(place([big, ...hosts], guests)))).toEqual(["big", "big", "big", "big"]);
    // …but guests that run already stay where they are.
    expect(placed(place([big, ...hosts], guests, first))).toEqual(first);
  });

  test("an added guest moves no running guest; it goes where there is room", () => {
    const first = placed(place(hosts, guests));
    const more = [...guests, guest("huge", 4096, 2)];
    // A fresh placement would put the largest guest first and shuffle the others…
    expect(placed(place([...hosts, host("c", 4096, 4)], more))).not.toEqual({ ...first, huge: "c" });
    // …the previous placement keeps them.
    expect(placed(place([...hosts, host("c", 4096, 4)], more, first))).toEqual({ ...first, huge: "c" });
  });

  test("a previous host that is gone or has no room left is not kept", () => {
    expect(placed(place([host("b", 4096, 4)], [guest("x", 1024, 1)], { x: "a" }))).toEqual({ x: "b" });
    // The guest grew past its old host's room: it moves.
    expect(place(hosts, [guest("x", 8192, 1)], { x: "a" }).ok).toBe(false);
    expect(place(hosts, [guest("x", 3000, 1)], { x: "a" })).toMatchObject({ ok: true, hostOf: { x: "a" } });
    const r = place([host("a", 1024, 1), host("b", 4096, 4)], [guest("x", 2048, 1)], { x: "a" });
    expect(placed(r)).toEqual({ x: "b" });
  });

  test("the room left on each host is reported", () => {
    expect(place(hosts, guests)).toMatchObject({
      ok: true,
      free: { a: { memoryMiB: 0, vcpus: 2 }, b: { memoryMiB: 2048, vcpus: 2 } },
    });
  });

  test("packing order: memory, vcpus, then name", () => {
    expect(
      packingOrder([guest("b", 1, 1), guest("a", 1, 1), guest("c", 1, 2), guest("d", 2, 1)]).map(
        (g) => g.name,
      ),
    ).toEqual(["d", "c", "a", "b"]);
  });
});
