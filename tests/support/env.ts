// Environment for the real tools under test: hermetic and offline.

/** Nix settings for tests: flakes on, no binary cache to query (there is none offline). */
export const nixConfig = [
  "experimental-features = nix-command flakes",
  "substituters =",
  "warn-dirty = false",
].join("\n");

export function nixEnv(): Record<string, string> {
  return { NIX_CONFIG: nixConfig };
}
