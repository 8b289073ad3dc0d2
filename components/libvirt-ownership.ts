// Whose is a libvirt object that already carries a name a Lab wants? This stack's when its last
// deployment recorded it (the engine's state), or when the object records this stack's URN
// (a domain's <metadata><nixlab:resource><nixlab:urn>, see provider/libvirt/domain-xml.ts);
// also when the libvirt provider would take it over as left by an interrupted create of this
// very object (provider/libvirt/network.ts and pool.ts: same address and DHCP range; same
// directory and empty — libvirt 9.0 networks and pools carry no metadata). Anything else with
// that name is a collision, reported before a resource is registered.
import * as pulumi from "@pulumi/pulumi";
import { parseNetworkXml } from "../provider/libvirt/network";
import { parsePoolXml } from "../provider/libvirt/pool";
import { child, parseXml, text } from "../provider/libvirt/xml";

export interface StackId {
  stack: string;
  project: string;
}

export type LibvirtKind = "domain" | "network" | "pool";

/** A libvirt object in this stack's state: its kind, connection URI and name. */
export interface RecordedObject {
  kind: LibvirtKind;
  uri: string;
  name: string;
}

const kinds: Record<string, LibvirtKind> = {
  "nixlab:libvirt:Domain": "domain",
  "nixlab:libvirt:Network": "network",
  "nixlab:libvirt:Pool": "pool",
};

/** The libvirt objects in `readStackResourceOutputs`' answer: { outputs: { <urn>: { type, outputs } } }. */
export function recordedObjects(answer: unknown): RecordedObject[] {
  const resources = (answer as { outputs?: Record<string, { type?: unknown; outputs?: unknown }> })?.outputs;
  const out: RecordedObject[] = [];
  for (const r of Object.values(resources ?? {})) {
    const kind = kinds[String(r?.type)];
    const o = (r?.outputs ?? {}) as { uri?: unknown; name?: unknown };
    if (kind && typeof o.uri === "string" && typeof o.name === "string")
      out.push({ kind, uri: o.uri, name: o.name });
  }
  return out;
}

/**
 * The libvirt objects this stack's last deployment recorded, asked of the engine (its built-in
 * `pulumi:pulumi:readStackResourceOutputs`: no resource is registered for it); or why not.
 */
export async function readRecordedObjects(stack: string): Promise<RecordedObject[] | { unreadable: string }> {
  try {
    return recordedObjects(
      await pulumi.runtime.invoke("pulumi:pulumi:readStackResourceOutputs", { stackName: stack }),
    );
  } catch (err) {
    return { unreadable: (err as Error).message.split("\n")[0] ?? "no message" };
  }
}

/** The owning URN recorded in an object's XML, if any. */
export function recordedUrn(xml: string): string | undefined {
  const doc = parseXml(xml);
  const root = Object.entries(doc).find(([k]) => !k.startsWith("?"))?.[1];
  return text(child(child(root, "metadata"), "nixlab:resource"), "nixlab:urn");
}

/** urn:pulumi:<stack>::<project>::<type>::<name> → stack and project. */
export function urnStack(urn: string): StackId | undefined {
  const m = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(urn);
  return m?.[1] && m[2] ? { stack: m[1], project: m[2] } : undefined;
}

/** Why an existing domain is not this stack's, or undefined when it is. */
export function foreignDomain(xml: string, ours: StackId): string | undefined {
  const urn = recordedUrn(xml);
  const owner = urn === undefined ? undefined : urnStack(urn);
  if (owner && owner.stack === ours.stack && owner.project === ours.project) return undefined;
  return owner
    ? `belongs to stack ${owner.stack} of project ${owner.project}`
    : "was not created by nixlab for this stack";
}

/** Why an existing network is not this stack's to create, or undefined when it is. */
export function foreignNetwork(
  xml: string,
  wanted: { address: string; dhcp: { start: string; end: string } },
): string | undefined {
  const live = parseNetworkXml(xml);
  const same =
    live.address === wanted.address &&
    live.dhcp?.start === wanted.dhcp.start &&
    live.dhcp?.end === wanted.dhcp.end;
  if (same) return undefined;
  const range = live.dhcp ? `, DHCP ${live.dhcp.start}-${live.dhcp.end}` : "";
  return `is not this stack's (${live.address ?? "no address"}${range})`;
}

/** Why an existing pool is not this stack's to create, or undefined when it is. */
export function foreignPool(xml: string, wantedPath: string, volumes: number): string | undefined {
  const live = parsePoolXml(xml);
  if (live.targetPath !== wantedPath) return `is not this stack's (its directory is ${live.targetPath})`;
  if (volumes > 0) return `is not this stack's (it holds ${volumes} volume(s))`;
  return undefined;
}
