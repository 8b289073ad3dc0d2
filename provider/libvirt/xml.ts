// XML in and out of libvirt, always through fast-xml-parser: the builder escapes every text
// and attribute value, so names, paths and kernel command lines can carry quotes, `<` and `&`.
import { XMLBuilder, XMLParser } from "fast-xml-parser";

/** A node as the builder and parser see it: `@_x` keys are attributes, `#text` is text. */
export type XmlNode = { [key: string]: unknown };

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  textNodeName: "#text",
  format: true,
  indentBy: "  ",
  suppressEmptyNode: true,
  suppressBooleanAttributes: false,
});

/**
 * XML 1.0 cannot carry most control characters at all (not even escaped), so they are refused
 * before they reach the builder; schemas reject them with a message naming the field.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to match them
export const invalidXmlChars = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

function assertXmlSafe(value: unknown, where: string): void {
  if (typeof value === "string" && invalidXmlChars.test(value))
    throw new Error(`${where}: contains a control character that XML cannot carry`);
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) assertXmlSafe(v, `${where}[${i}]`);
  } else if (typeof value === "object" && value !== null)
    for (const [k, v] of Object.entries(value)) assertXmlSafe(v, `${where}.${k}`);
}

/** Serialise `{ root: {...} }`; undefined values and empty arrays are left out. */
export function buildXml(doc: XmlNode): string {
  assertXmlSafe(doc, "xml");
  return builder.build(prune(doc)) as string;
}

function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (typeof v === "object" && v !== null) {
    const out: XmlNode = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined || x === null || (Array.isArray(x) && x.length === 0)) continue;
      out[k] = prune(x);
    }
    return out;
  }
  return v;
}

/** Parse libvirt XML; values stay strings; `arrays` names the elements that may repeat. */
export function parseXml(text: string, arrays: readonly string[] = []): XmlNode {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    textNodeName: "#text",
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    processEntities: true,
    isArray: (tag) => arrays.includes(tag),
  });
  return parser.parse(text) as XmlNode;
}

/** Child element (an object, or {} when absent or empty). */
export function child(node: unknown, name: string): XmlNode {
  if (typeof node !== "object" || node === null) return {};
  const v = (node as XmlNode)[name];
  if (Array.isArray(v)) return (v[0] as XmlNode | undefined) ?? {};
  if (typeof v === "object" && v !== null) return v as XmlNode;
  if (typeof v === "string") return { "#text": v };
  return {};
}

/** Repeated child elements as an array of objects. */
export function children(node: unknown, name: string): XmlNode[] {
  if (typeof node !== "object" || node === null) return [];
  const v = (node as XmlNode)[name];
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.map((x) => (typeof x === "object" && x !== null ? (x as XmlNode) : { "#text": String(x) }));
}

/** Whether the child element is present at all (e.g. `<readonly/>`). */
export function has(node: unknown, name: string): boolean {
  return typeof node === "object" && node !== null && (node as XmlNode)[name] !== undefined;
}

export function attr(node: unknown, name: string): string | undefined {
  if (typeof node !== "object" || node === null) return undefined;
  const v = (node as XmlNode)[`@_${name}`];
  return v === undefined ? undefined : String(v);
}

/** Text content of an element (a string, or `#text` of an element with attributes). */
export function text(node: unknown, name?: string): string | undefined {
  const v =
    name === undefined
      ? node
      : typeof node === "object" && node !== null
        ? (node as XmlNode)[name]
        : undefined;
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return text(v[0]);
  if (typeof v === "object") {
    const t = (v as XmlNode)["#text"];
    return t === undefined ? "" : String(t);
  }
  return String(v);
}
