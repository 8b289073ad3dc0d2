// One declaration per resource type: its inputs and outputs as zod schemas whose properties carry
// their documentation and marks in zod metadata (`.meta({ description, replaceOnChanges, secret })`).
// Everything else is derived from it: Check validation (the inputs schema itself), which keys a
// diff compares and which of them replace, the keys stored as secrets, the Pulumi package schema
// (package-schema.ts), the SDK classes (../sdk/resource-class.ts) and the README tables (docs.ts).
import * as z from "zod";
import { same } from "../resource";

declare module "zod/v4/core" {
  interface GlobalMeta {
    /** A change of this property replaces the resource (also when set on a property of a nested object). */
    replaceOnChanges?: boolean;
    /** The provider stores the property as a Pulumi secret, and the SDK sends it as one. */
    secret?: boolean;
    /** Name of a nested object or enum's type in the package schema (default: resource + property). */
    typeName?: string;
    /** For the README's change column, where the rule is more than update or replace. */
    change?: string;
  }
}

export interface ResourceDeclaration<I extends z.ZodType = z.ZodType, O extends z.ZodObject = z.ZodObject> {
  /** nixlab:<module>:<Type> */
  token: string;
  description: string;
  /** What a program gives; parsed in Check (defaults, normalisation, cross-field rules). */
  inputs: I;
  /**
   * What the provider adds to the state. An input may be listed again when the state always holds
   * it (an upload's chosen volume name): the output's type and documentation win there.
   */
  outputs: O;
  /** The object's name is unique where it lives: a replacement deletes the old one first. */
  deleteBeforeReplace?: boolean;
}

export type AnyResourceDeclaration = ResourceDeclaration<z.ZodType, z.ZodObject>;

/** Inputs as Check hands them to the resource (defaults filled, normalised). */
export type InputsOf<D extends AnyResourceDeclaration> = z.output<D["inputs"]>;
/** Inputs as a program writes them. */
export type ArgsOf<D extends AnyResourceDeclaration> = z.input<D["inputs"]>;
/** The state: the inputs as checked plus the outputs (which win where both name a key). */
export type StateOf<D extends AnyResourceDeclaration> = Omit<InputsOf<D>, keyof z.output<D["outputs"]>> &
  z.output<D["outputs"]>;

export const declareResource = <I extends z.ZodType, O extends z.ZodObject>(
  d: ResourceDeclaration<I, O>,
): ResourceDeclaration<I, O> => d;

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  defaultValue?: unknown;
};
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schema under optional/default/nullable/readonly wrappers and transforms (their input side). */
export function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (;;) {
    const def = defOf(cur);
    if (
      def.innerType &&
      ["optional", "default", "prefault", "nullable", "readonly", "catch"].includes(def.type)
    )
      cur = def.innerType;
    else if (def.type === "pipe" && def.in) cur = def.in;
    else return cur;
  }
}

/** The metadata of a property: of the schema itself and of what it wraps, the outermost winning. */
export function metaOf(s: z.ZodType): z.core.GlobalMeta {
  const chain: z.ZodType[] = [];
  let cur = s;
  for (;;) {
    chain.push(cur);
    const def = defOf(cur);
    const next = def.type === "pipe" ? def.in : def.innerType;
    if (
      !next ||
      !["optional", "default", "prefault", "nullable", "readonly", "catch", "pipe"].includes(def.type)
    )
      break;
    cur = next;
  }
  return Object.assign({}, ...chain.reverse().map((x) => z.globalRegistry.get(x) ?? {}));
}

/**
 * A property's default, if it has one (zod leaves it out of its JSON Schema when a transform lies
 * inside, e.g. a list of NICs whose MAC addresses are lower-cased).
 */
export function defaultOf(s: z.ZodType): unknown {
  let cur: z.ZodType | undefined = s;
  while (cur) {
    const def = defOf(cur);
    if (def.type === "default") return def.defaultValue;
    cur = ["optional", "nullable", "readonly", "catch", "prefault"].includes(def.type)
      ? def.innerType
      : undefined;
  }
  return undefined;
}

/** The properties of an object schema (through refinements, transforms and wrappers). */
export function shapeOf(s: z.ZodType): Record<string, z.ZodType> {
  const inner = unwrap(s);
  const shape = defOf(inner).shape;
  if (defOf(inner).type !== "object" || !shape)
    throw new Error("a resource's inputs and outputs must be objects");
  return shape;
}

/** Nested object properties of a property (one level: a connection's host, a DHCP range's start). */
function nestedShape(s: z.ZodType): Record<string, z.ZodType> | undefined {
  const inner = unwrap(s);
  return defOf(inner).type === "object" ? defOf(inner).shape : undefined;
}

export interface DeclaredKeys {
  /** Every input property. */
  inputs: string[];
  /** Every property of the state: inputs, then outputs not already among them. */
  state: string[];
  /** Top-level input properties whose change replaces. */
  replace: string[];
  /** Input properties whose nested properties replace: connection → [host, user, port]. */
  nestedReplace: Record<string, string[]>;
  /** Input properties stored as secrets. */
  secret: string[];
}

const cache = new WeakMap<AnyResourceDeclaration, DeclaredKeys>();

export function keysOf(d: AnyResourceDeclaration): DeclaredKeys {
  const hit = cache.get(d);
  if (hit) return hit;
  const shape = shapeOf(d.inputs);
  const inputs = Object.keys(shape);
  const outputs = Object.keys(shapeOf(d.outputs));
  const nestedReplace: Record<string, string[]> = {};
  for (const [k, s] of Object.entries(shape)) {
    const nested = nestedShape(s);
    const marked = Object.entries(nested ?? {})
      .filter(([, n]) => metaOf(n).replaceOnChanges)
      .map(([n]) => n);
    if (marked.length > 0) nestedReplace[k] = marked;
  }
  const keys: DeclaredKeys = {
    inputs,
    state: [...inputs, ...outputs.filter((k) => !inputs.includes(k))],
    replace: inputs.filter((k) => metaOf(shape[k] as z.ZodType).replaceOnChanges),
    nestedReplace,
    secret: inputs.filter((k) => metaOf(shape[k] as z.ZodType).secret),
  };
  cache.set(d, keys);
  return keys;
}

/** What a diff found: properties (or paths such as connection.host) that replace, and that update. */
export interface DeclaredDiff {
  changes: boolean;
  replaces: string[];
  updates: string[];
}

const at = (v: unknown, k: string): unknown =>
  typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined;

/**
 * Which inputs changed between the old state and the new inputs (as data, whatever the key order),
 * and whether each replaces, by the declaration's marks. `skip`: keys the resource compares itself.
 */
export function declaredDiff(
  d: AnyResourceDeclaration,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  skip: readonly string[] = [],
): DeclaredDiff {
  const keys = keysOf(d);
  const replaces: string[] = [];
  const updates: string[] = [];
  for (const k of keys.inputs) {
    if (skip.includes(k) || same(olds[k], news[k])) continue;
    if (keys.replace.includes(k)) {
      replaces.push(k);
      continue;
    }
    const nested = (keys.nestedReplace[k] ?? []).filter((n) => !same(at(olds[k], n), at(news[k], n)));
    if (nested.length > 0) replaces.push(...nested.map((n) => `${k}.${n}`));
    else updates.push(k);
  }
  return { changes: replaces.length + updates.length > 0, replaces, updates };
}

/** Whether a change of top-level property `k` may replace (for values not known yet). */
export function mayReplace(d: AnyResourceDeclaration, k: string): boolean {
  const keys = keysOf(d);
  return keys.replace.includes(k) || k in keys.nestedReplace;
}
