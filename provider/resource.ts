// What one resource type of the nixlab provider implements. The plugin (plugin.ts) does the
// protocol work around it: secrets, unknowns, validation, and the mapping to gRPC results. What the
// type's properties are, which are secret and which replace is its declaration's (schema/declare.ts).
import type * as z from "zod";
import type { Logger } from "./engine-log";
import type { Runner } from "./exec";
import type { AnyResourceDeclaration } from "./schema/declare";

export interface Context {
  urn: string;
  /** The resource's name (last URN segment). */
  name: string;
  log: Logger;
  run: Runner;
}

export interface Diff {
  changes: boolean;
  /**
   * Properties whose change needs a replacement: input keys, or paths into them (connection.host).
   * A replacement no property explains (the object is gone) names the key that identifies it.
   */
  replaces: string[];
  /** Properties that change in place. With `replaces`, what the preview lists as changed. */
  updates?: string[];
  deleteBeforeReplace?: boolean;
}

export interface ResourceDefinition<I, S extends Record<string, unknown>> {
  /**
   * Token, inputs (validated and normalised in Check, before anything is touched), outputs, and
   * which inputs are secret or replace on change.
   */
  declaration: AnyResourceDeclaration;
  /** Extra validation needing effects (does the file exist? does the network exist?), in Check. */
  preflight?(ctx: Context, news: I): Promise<{ property: string; reason: string }[]>;
  diff(ctx: Context, id: string, olds: S, news: I): Promise<Diff>;
  create(ctx: Context, news: I): Promise<{ id: string; state: S }>;
  /** The current state, or null when the resource no longer exists. */
  read(ctx: Context, id: string, state: S): Promise<{ id: string; state: S } | null>;
  update(ctx: Context, id: string, olds: S, news: I): Promise<S>;
  delete(ctx: Context, id: string, state: S): Promise<void>;
}

/**
 * The operation did its work and its state must be kept, yet the resource is to be reported as
 * failed (e.g. a policy verdict): the engine records the state and the next update runs again.
 */
export class FailedWithState<S extends Record<string, unknown>> extends Error {
  constructor(
    message: string,
    readonly id: string,
    readonly state: S,
  ) {
    super(message);
    this.name = "FailedWithState";
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds definitions of every input/state type
export type AnyResourceDefinition = ResourceDefinition<any, any>;

/**
 * JSON with object keys sorted. What the engine hands back went through a protobuf Struct, which
 * does not keep key order, so comparisons of stored state with new inputs must not depend on it.
 */
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

/** Equal as data, whatever the key order. */
export const same = (a: unknown, b: unknown): boolean => stable(a) === stable(b);

/** "disks[1].size: expected a number" lines from a zod error, one per issue. */
export function zodFailures(error: z.ZodError): { property: string; reason: string }[] {
  return error.issues.map((issue) => ({
    property: issue.path
      .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
      .join(""),
    reason: issue.message,
  }));
}
