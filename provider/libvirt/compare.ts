// Value comparison for diffs. What the engine hands back went through a protobuf Struct, which
// does not keep object key order, so `{start, end}` from the inputs must equal `{end, start}`
// from the state: compare with sorted keys (undefined members dropped, as JSON drops them).
import type { Diff } from "../resource";

export function stable(v: unknown): string {
  return (
    JSON.stringify(v, (_k, x: unknown) =>
      x && typeof x === "object" && !Array.isArray(x)
        ? Object.fromEntries(
            Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
          )
        : x,
    ) ?? "undefined"
  );
}

/** Which of `keys` changed (order-insensitively); a change in `replaceKeys` replaces, deleting first. */
export function diffStable(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  keys: readonly string[],
  replaceKeys: readonly string[],
): Diff {
  const changed = keys.filter((k) => stable(olds[k]) !== stable(news[k]));
  const replaces = changed.filter((k) => replaceKeys.includes(k));
  // Names are unique in libvirt: the new object can only be made once the old one is gone.
  return { changes: changed.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 };
}
