// Program-side classes for the nix resources of the nixlab provider plugin, made from their
// declarations (provider/nix/*.ts).
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { addPathDeclaration } from "../nix/add-path";
import { buildDeclaration } from "../nix/build";
import { copyDeclaration } from "../nix/copy";
import { type ResourceArgs, resourceClass } from "./resource-class";

/** Local paths become absolute `path:` references, so the provider never guesses a directory. */
export function flakeRef(flake: string): string {
  if (/^[a-z+]+:/.test(flake)) return flake;
  return `path:${path.resolve(flake)}`;
}

/** Builds a flake attribute; drift-detects on the derivation path; keeps a GC root. */
export class Build extends resourceClass(buildDeclaration, {
  prepare: (args) => ({ ...args, flake: pulumi.output(args.flake as pulumi.Input<string>).apply(flakeRef) }),
}) {}
/**
 * Copies a closure to another store. `ssh` is sent and stored as a secret (pass privateKey as a
 * secret too, e.g. config.requireSecret, so the program never holds it in plain).
 */
export class Copy extends resourceClass(copyDeclaration) {}
/** Adds a local file or folder to the Nix store (with a GC root), e.g. a kernel to copy to a host. */
export class AddPath extends resourceClass(addPathDeclaration) {}

export type BuildArgs = ResourceArgs<typeof Build>;
export type CopyArgs = ResourceArgs<typeof Copy>;
export type AddPathArgs = ResourceArgs<typeof AddPath>;
