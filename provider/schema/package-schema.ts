// The Pulumi package schema of the nixlab provider (what `pulumi package get-schema` prints and
// `pulumi package gen-sdk` generates SDKs from), derived from the resources' declarations: zod's
// own JSON Schema of each declaration, mapped onto Pulumi's type system. Nested objects and enums
// become named types (nixlab:<module>:<Resource><Property>, or the property's `typeName`).
import * as z from "zod";
import type { AnyResourceDeclaration } from "./declare";

/** A node of the JSON Schema that z.toJSONSchema writes, with nixlab's metadata keys. */
export interface JsonNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonNode>;
  required?: string[];
  additionalProperties?: boolean | JsonNode;
  items?: JsonNode;
  anyOf?: JsonNode[];
  oneOf?: JsonNode[];
  secret?: boolean;
  replaceOnChanges?: boolean;
  typeName?: string;
  change?: string;
  [k: string]: unknown;
}

export interface TypeSpec {
  type?: string;
  $ref?: string;
  items?: TypeSpec;
  additionalProperties?: TypeSpec;
  oneOf?: TypeSpec[];
}

export interface PropertySpec extends TypeSpec {
  description?: string;
  default?: unknown;
  secret?: boolean;
  replaceOnChanges?: boolean;
}

export interface ObjectTypeSpec {
  type: "object";
  properties: Record<string, PropertySpec>;
  required?: string[];
}

export interface EnumTypeSpec {
  type: "string";
  enum: { value: string }[];
}

export interface ResourceSpec {
  description: string;
  inputProperties: Record<string, PropertySpec>;
  requiredInputs: string[];
  properties: Record<string, PropertySpec>;
  required: string[];
}

export interface PackageSpec {
  name: string;
  displayName: string;
  version: string;
  description: string;
  license: string;
  keywords: string[];
  meta: { moduleFormat: string };
  language: Record<string, Record<string, string>>;
  config: Record<string, never>;
  provider: { description: string };
  resources: Record<string, ResourceSpec>;
  types: Record<string, ObjectTypeSpec | EnumTypeSpec>;
}

/** zod's JSON Schema of a declaration's inputs (as a program writes them) or state (as stored). */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): JsonNode {
  return z.toJSONSchema(schema, { io, unrepresentable: "any", reused: "inline" }) as JsonNode;
}

const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

const primitive = new Set(["string", "number", "integer", "boolean"]);

/** The alternatives of a node (zod writes unions as anyOf, or as a list of types); null dropped. */
export function alternatives(node: JsonNode): JsonNode[] {
  const list = node.anyOf ?? node.oneOf;
  if (list) return list.filter((n) => n.type !== "null");
  if (Array.isArray(node.type))
    return node.type.filter((t) => t !== "null").map((t) => ({ ...node, type: t }));
  return [node];
}

class TypeBuilder {
  readonly types: Record<string, ObjectTypeSpec | EnumTypeSpec> = {};

  constructor(private readonly module: string) {}

  private define(name: string, spec: ObjectTypeSpec | EnumTypeSpec): TypeSpec {
    const token = `nixlab:${this.module}:${name}`;
    const known = this.types[token];
    if (known && JSON.stringify(known) !== JSON.stringify(spec))
      throw new Error(`two different types would be called ${token}: give one a typeName of its own`);
    this.types[token] = spec;
    return { $ref: `#/types/${token}` };
  }

  /** The Pulumi type of a node; `name` names the type a nested object or enum becomes. */
  typeOf(node: JsonNode, name: string): TypeSpec {
    const alts = alternatives(node);
    if (alts.length > 1) return { oneOf: alts.map((a, i) => this.typeOf(a, `${name}${i}`)) };
    const n = alts[0] ?? {};
    const typeName = n.typeName ?? node.typeName ?? name;
    if (n.const !== undefined) return { type: typeof n.const === "number" ? "number" : typeof n.const };
    const type = Array.isArray(n.type) ? n.type[0] : n.type;
    if (type === "string" && n.enum)
      return this.define(typeName, {
        type: "string",
        enum: n.enum.map((value) => ({ value: String(value) })),
      });
    if (type && primitive.has(type)) return { type };
    if (type === "array") return { type: "array", items: this.typeOf(n.items ?? {}, typeName) };
    if (type === "object" && n.properties) {
      const { properties, required } = this.properties(n, typeName);
      // No description of its own: the property that holds the type has it.
      return this.define(typeName, {
        type: "object",
        properties,
        ...(required.length > 0 ? { required } : {}),
      });
    }
    if (type === "object" && typeof n.additionalProperties === "object")
      return {
        type: "object",
        additionalProperties: this.typeOf(n.additionalProperties, `${typeName}Value`),
      };
    return { $ref: "pulumi.json#/Any" };
  }

  property(node: JsonNode, name: string): PropertySpec {
    const t = this.typeOf(node, name);
    return {
      ...t,
      ...(node.description ? { description: node.description } : {}),
      // Defaults of primitives only: the schema has no way to say an object's or a list's.
      ...(node.default !== undefined && t.type && primitive.has(t.type) ? { default: node.default } : {}),
      ...(node.secret ? { secret: true } : {}),
      ...(node.replaceOnChanges ? { replaceOnChanges: true } : {}),
    };
  }

  properties(
    node: JsonNode,
    prefix: string,
  ): { properties: Record<string, PropertySpec>; required: string[] } {
    const properties = Object.fromEntries(
      Object.entries(node.properties ?? {}).map(([k, p]) => [k, this.property(p, `${prefix}${pascal(k)}`)]),
    );
    return { properties, required: node.required ?? [] };
  }
}

/** nixlab:libvirt:Domain → { module: "libvirt", name: "Domain" } */
export function splitToken(token: string): { module: string; name: string } {
  const [, module = "", name = ""] = token.split(":");
  return { module, name };
}

function resourceSpec(d: AnyResourceDeclaration, builders: Map<string, TypeBuilder>): ResourceSpec {
  const { module, name } = splitToken(d.token);
  const b = builders.get(module) ?? new TypeBuilder(module);
  builders.set(module, b);
  const given = jsonSchemaOf(d.inputs, "input");
  const stored = jsonSchemaOf(d.inputs, "output");
  const outputs = jsonSchemaOf(d.outputs, "output");
  const inputs = b.properties(given, name);
  const outs = b.properties(outputs, name);
  return {
    description: d.description,
    inputProperties: inputs.properties,
    requiredInputs: inputs.required,
    properties: { ...inputs.properties, ...outs.properties },
    required: [...new Set([...(stored.required ?? []), ...outs.required])],
  };
}

export function packageSchema(declarations: readonly AnyResourceDeclaration[], version: string): PackageSpec {
  const builders = new Map<string, TypeBuilder>();
  const resources = Object.fromEntries(declarations.map((d) => [d.token, resourceSpec(d, builders)]));
  const types = Object.assign({}, ...[...builders.values()].map((b) => b.types));
  return {
    name: "nixlab",
    displayName: "nixlab",
    version,
    description:
      "Throw-away NixOS test machines for Linux kernel and storage work: Nix builds and copies, activations over SSH, and libvirt pools, volumes, networks and guests.",
    license: "Apache-2.0",
    keywords: ["pulumi", "nixos", "nix", "libvirt", "kind/native"],
    meta: { moduleFormat: "(.*)" },
    // Names for the SDKs `pulumi package gen-sdk` writes (generated, not published: see the README).
    language: {
      nodejs: { packageName: "@nixlab/pulumi-nixlab" },
      python: { packageName: "pulumi_nixlab" },
      go: { importBasePath: "nixlab.local/sdk/go/nixlab" },
    },
    config: {},
    provider: { description: "The nixlab provider: it takes no configuration." },
    resources,
    types,
  };
}
