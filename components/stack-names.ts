// Names of the libvirt objects a stack makes by default, so that two stacks on one host never
// collide (a shared `nixlab` pool made the second stack fail with "pool already exists"): the
// pool `nixlab-<stack>` in /var/lib/nixlab/pools/<stack>, and a created network `nixlab-<stack>`.
// Adopting an existing pool or network is explicit in the config.
import { createHash } from "node:crypto";

/** `nixlab-<stack>`, lower-case letters, digits and dashes; a short hash when the stack's name had to change. */
export function stackObjectName(stack: string): string {
  const safe = stack
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  const kept = safe.slice(0, 36).replace(/-+$/, "");
  if (kept === stack && kept !== "") return `nixlab-${kept}`;
  const hash = createHash("sha256").update(stack).digest("hex").slice(0, 8);
  return `nixlab-${kept ? `${kept}-` : ""}${hash}`;
}

/** The default pool of a stack. */
export const stackPool = (stack: string): { name: string; path: string } => {
  const name = stackObjectName(stack);
  return { name, path: `/var/lib/nixlab/pools/${name.slice("nixlab-".length)}` };
};
