// Whose is a libvirt object that already carries the name a Lab wants? nixlab records the owning
// Pulumi resource's URN in the object's XML (a domain's <metadata><nixlab:resource><nixlab:urn>,
// see provider/libvirt/domain-xml.ts). An object recorded under this stack and project was made
// by an earlier run of the same stack (and is taken over or replaced by it); anything else with
// that name is a collision, reported before a resource is registered.
import { child, parseXml, text } from "../provider/libvirt/xml";

export interface StackId {
  stack: string;
  project: string;
}

/** The owning URN recorded in a domain's, network's or pool's XML, if any. */
export function recordedUrn(xml: string): string | undefined {
  const doc = parseXml(xml);
  const root = Object.entries(doc).find(([k]) => !k.startsWith("?"))?.[1];
  const inMetadata = text(child(child(root, "metadata"), "nixlab:resource"), "nixlab:urn");
  if (inMetadata) return inMetadata;
  // Pools have no <metadata> element: a URN kept in the description stands in.
  return /\burn:pulumi:\S+/.exec(text(root, "description") ?? "")?.[0];
}

/** urn:pulumi:<stack>::<project>::<type>::<name> → stack and project. */
export function urnStack(urn: string): StackId | undefined {
  const m = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(urn);
  return m?.[1] && m[2] ? { stack: m[1], project: m[2] } : undefined;
}

/**
 * Undefined when the object is this stack's; otherwise why the name is taken (the owning stack,
 * when the object records one).
 */
export function collision(xml: string, ours: StackId): string | undefined {
  const urn = recordedUrn(xml);
  const owner = urn === undefined ? undefined : urnStack(urn);
  if (owner && owner.stack === ours.stack && owner.project === ours.project) return undefined;
  return owner
    ? `belongs to stack ${owner.stack} of project ${owner.project}`
    : "was not created by nixlab for this stack";
}
