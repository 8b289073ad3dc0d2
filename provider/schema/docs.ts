// The property tables of the provider's READMEs, written from the resources' declarations between
// markers (`npm run gen`; tests/provider/schema.test.ts fails when a table is not current):
//   <!-- generated: nixlab:libvirt:Pool -->
//   …
//   <!-- end generated -->
import { type AnyResourceDeclaration, defaultOf, shapeOf } from "./declare";
import { alternatives, type JsonNode, jsonSchemaOf } from "./package-schema";

/** The READMEs that hold tables, relative to the repository root. */
export const readmes = ["provider/README.md", "provider/libvirt/README.md"];

const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const code = (v: unknown): string => `\`${typeof v === "string" && v !== "" ? v : JSON.stringify(v)}\``;

/** A type as a reader says it: string, list of DomainDisk, `"nat"` \| `"route"`. */
function typeText(node: JsonNode): string {
  const alts = alternatives(node);
  if (alts.length > 1) return alts.map(typeText).join(" | ");
  const n = alts[0] ?? {};
  if (n.const !== undefined) return code(n.const);
  if (n.enum) return n.enum.map((v) => code(v)).join(" | ");
  const type = Array.isArray(n.type) ? n.type[0] : n.type;
  if (type === "array") return n.items?.properties ? "list of objects" : `list of ${typeText(n.items ?? {})}`;
  if (type === "object" && n.properties) return "object";
  if (type === "object" && typeof n.additionalProperties === "object")
    return `map of ${typeText(n.additionalProperties)}`;
  return type ?? "any";
}

/** An object property's fields (through a list: disks[].pool), if it has any. */
function fieldsOf(node: JsonNode): { suffix: string; object: JsonNode } | undefined {
  const n = alternatives(node)[0] ?? {};
  if (n.type === "array" && n.items?.properties) return { suffix: "[]", object: n.items };
  if (n.properties) return { suffix: "", object: n };
  return undefined;
}

interface Row {
  name: string;
  node: JsonNode;
  required: boolean;
  default: unknown;
  replace: boolean;
  change: string | undefined;
}

/** Every property, then the fields of its objects (one level, as the diff compares them). */
function rows(object: JsonNode, defaults: Record<string, unknown> = {}): Row[] {
  const required = new Set(object.required ?? []);
  return Object.entries(object.properties ?? {}).flatMap(([name, node]) => {
    const own: Row = {
      name,
      node,
      required: required.has(name),
      default: node.default ?? defaults[name],
      replace: node.replaceOnChanges === true,
      change: node.change,
    };
    const fields = fieldsOf(node);
    if (!fields) return [own];
    const inner = new Set(fields.object.required ?? []);
    return [
      own,
      ...Object.entries(fields.object.properties ?? {}).map(([field, f]) => ({
        name: `${name}${fields.suffix}.${field}`,
        node: f,
        required: inner.has(field),
        default: f.default,
        replace: own.replace || f.replaceOnChanges === true,
        change: f.change ?? own.change,
      })),
    ];
  });
}

function inputRow(r: Row): string {
  const given = r.required ? "required" : r.default !== undefined ? code(r.default) : "";
  const change = r.change ?? (r.replace ? "replace" : "update");
  const secret = r.node.secret ? " Secret." : "";
  return `| \`${r.name}\` | ${cell(typeText(r.node))} | ${cell(given)} | ${cell(change)} | ${cell(`${r.node.description ?? ""}${secret}`)} |`;
}

const outputRow = (r: Row): string =>
  `| \`${r.name}\` | ${cell(typeText(r.node))} | ${cell(r.node.description ?? "")} |`;

/** The input and output tables of one resource. */
export function propertyTables(d: AnyResourceDeclaration): string {
  const defaults = Object.fromEntries(Object.entries(shapeOf(d.inputs)).map(([k, s]) => [k, defaultOf(s)]));
  const inputs = rows(jsonSchemaOf(d.inputs, "input"), defaults);
  const outputs = rows(jsonSchemaOf(d.outputs, "output"));
  return [
    "| input | type | default | change | description |",
    "| --- | --- | --- | --- | --- |",
    ...inputs.map(inputRow),
    "",
    "| output | type | description |",
    "| --- | --- | --- |",
    ...outputs.map(outputRow),
  ].join("\n");
}

const markers = /(<!-- generated: (\S+) -->\n)[\s\S]*?(\n<!-- end generated -->)/g;

/** The README with each marked table written anew; throws for a marker naming no resource. */
export function renderReadme(text: string, declarations: readonly AnyResourceDeclaration[]): string {
  return text.replace(markers, (_all, open: string, token: string, close: string) => {
    const d = declarations.find((x) => x.token === token);
    if (!d) throw new Error(`a generated table names ${token}, which no resource declares`);
    return `${open}${propertyTables(d)}${close}`;
  });
}

/** The tokens whose tables a README holds. */
export const tablesIn = (text: string): string[] => [...text.matchAll(markers)].map((m) => m[2] as string);
