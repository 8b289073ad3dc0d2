// What this provider process has seen declared in the current deployment. A domain's Check
// may run (in a preview) before the network, pool or volume it names exists, because that
// object is declared by another resource of the same program and not created yet. Those
// resources' Checks run first (the domain depends on them), so they record themselves here and
// the domain's preflight accepts a name that is either in libvirt already or declared here.

import { isUnknown } from "../secrets";

type Kind = "network" | "pool" | "volume" | "domain";

const declared = new Map<string, string>();

const key = (kind: Kind, uri: string, name: string): string => JSON.stringify([kind, uri, name]);

/** Record that resource `urn` declares object `name`. */
export function declare(kind: Kind, uri: string, name: string, urn: string): void {
  declared.set(key(kind, uri, name), urn);
}

/** The URN that declared the object, if any. */
export function declaredBy(kind: Kind, uri: string, name: string): string | undefined {
  return declared.get(key(kind, uri, name));
}

/**
 * In a preview, a value that another resource has not produced yet arrives as a sentinel
 * string that passes schema checks for names: preflights skip what is not known yet.
 */
export const known = (...values: unknown[]): boolean => values.every((v) => v !== undefined && !isUnknown(v));

/** Volume names are scoped by their pool. */
export const volumeKey = (pool: string, name: string): string => `${pool}/${name}`;
