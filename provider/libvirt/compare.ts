// Diffs for libvirt objects: key-order-insensitive (see `stable`), and delete-before-replace,
// since libvirt names are unique.
import { type Diff, stable } from "../resource";

export { stable };

/** Which of `keys` changed (order-insensitively); a change in `replaceKeys` replaces, deleting first. */
export function diffStable(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  keys: readonly string[],
  replaceKeys: readonly string[],
): Diff {
  const changed = keys.filter((k) => stable(olds[k]) !== stable(news[k]));
  const replaces = changed.filter((k) => replaceKeys.includes(k));
  // Names are unique in libvirt: the new object can only be made once the old one is gone. Also
  // for a replacement the user forces (`up --replace`), which the engine asks for with this diff.
  return { changes: changed.length > 0, replaces, deleteBeforeReplace: true };
}
