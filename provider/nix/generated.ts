// Flakes that nixlab generates (a spec's small flake around lib.mkSystem) are owned by the Build
// that builds them: a marker file in the folder says so, and the Build removes the folder when it
// is deleted or moves to another flake. Flakes a user wrote carry no marker and are never touched.
import { existsSync, rmSync } from "node:fs";
import * as path from "node:path";

export const generatedMarker = ".nixlab-generated";

/** The folder of a `path:` flake reference that nixlab generated, or undefined. */
export function generatedFlakeDir(flake: string): string | undefined {
  const m = /^path:([^?#]+)/.exec(flake);
  if (!m?.[1] || !path.isAbsolute(m[1])) return undefined;
  return existsSync(path.join(m[1], generatedMarker)) ? m[1] : undefined;
}

/** Remove a generated flake's folder (nothing for any other flake). */
export function removeGeneratedFlake(flake: string): void {
  const dir = generatedFlakeDir(flake);
  if (dir) rmSync(dir, { recursive: true, force: true });
}
