import * as z from "zod";

/** Nix's store path alphabet: base32 without e, o, u, t; then a name. */
export const storePathPattern = /^\/nix\/store\/[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\-._?=]+$/;

export const storePath = z
  .string()
  .regex(storePathPattern, "must be a Nix store path (/nix/store/<hash>-<name>)");

/** The 32-character hash part of a store path. */
export const storePathHash = (p: string): string => p.slice("/nix/store/".length, "/nix/store/".length + 32);
