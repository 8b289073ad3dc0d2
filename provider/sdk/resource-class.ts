// The program-side class of a resource, made from its declaration: constructor arguments typed as
// the declaration's inputs (each value may be an Output), one Output per property of the state, the
// declared secrets sent as secrets, and deleteBeforeReplace where the declaration asks for it.
import * as pulumi from "@pulumi/pulumi";
import type * as z from "zod";
import { type AnyResourceDeclaration, type ArgsOf, keysOf, type StateOf } from "../schema/declare";

type Primitive = string | number | boolean | null | undefined;

/** A value as a program may give it: plain, a promise or an Output, at every level. */
export type DeepInput<T> = [T] extends [Primitive]
  ? pulumi.Input<T>
  : [T] extends [readonly (infer U)[]]
    ? pulumi.Input<DeepInput<U>[]>
    : pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>;

/** Arguments of a resource or nested object, from what its schema accepts. */
export type ArgsFor<T> = { [K in keyof T]: DeepInput<T[K]> };

/** The arguments of a nested object schema (a domain's disk, an SSH connection). */
export type ObjectArgs<S extends z.ZodType> = ArgsFor<z.input<S>>;

/** One Output per property of the state (optional ones may hold undefined). */
export type OutputsOf<D extends AnyResourceDeclaration> = {
  readonly [K in Extract<keyof StateOf<D>, string>]: pulumi.Output<StateOf<D>[K]>;
};

export interface ResourceClass<D extends AnyResourceDeclaration> {
  new (
    name: string,
    args: ArgsFor<ArgsOf<D>>,
    opts?: pulumi.CustomResourceOptions,
  ): pulumi.CustomResource & OutputsOf<D>;
}

/** The arguments a resource class takes (a class made by `resourceClass`). */
export type ResourceArgs<C extends abstract new (...args: never[]) => unknown> = ConstructorParameters<C>[1];

export interface ClassOptions {
  /** Arguments as the program gives them → as they are sent (e.g. a local path made absolute). */
  prepare?(args: Record<string, unknown>): Record<string, unknown>;
}

export function resourceClass<D extends AnyResourceDeclaration>(
  d: D,
  o: ClassOptions = {},
): ResourceClass<D> {
  const keys = keysOf(d);
  class Resource extends pulumi.CustomResource {
    constructor(name: string, args: ArgsFor<ArgsOf<D>>, opts?: pulumi.CustomResourceOptions) {
      const given = (o.prepare ? o.prepare({ ...args }) : { ...args }) as Record<string, unknown>;
      // Every key of the state must be among the props for the SDK to make its Output; what the
      // program does not give stays undefined (not sent, filled from the provider's state).
      const props: Record<string, unknown> = {};
      for (const k of keys.state) props[k] = given[k];
      for (const k of keys.secret) if (props[k] !== undefined) props[k] = pulumi.secret(props[k]);
      // A replacement the user forces (`up --replace`) is decided without a diff: the option
      // carries deleteBeforeReplace then. A program may still override it.
      super(d.token, name, props, d.deleteBeforeReplace ? { deleteBeforeReplace: true, ...opts } : opts);
    }
  }
  return Resource as unknown as ResourceClass<D>;
}
