// boot.json: what an imageless system tells its host about booting it (nix/README.md, "The boot.json
// contract"). Read from the built toplevel.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as z from "zod";

export const bootJson = z.object({
  version: z.literal(1),
  toplevel: z.string(),
  init: z.string(),
  initrd: z.string(),
  kernelParams: z.array(z.string()),
  cmdline: z.string(),
  systemName: z.string(),
  nixosVersion: z.string(),
  virtiofs: z.array(z.object({ tag: z.string(), mountPoint: z.string() })),
});
export type BootJson = z.infer<typeof bootJson>;

export function readBootJson(toplevel: string): BootJson {
  const file = path.join(toplevel, "boot.json");
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not readable as JSON (is this an imageless system?): ${String(e)}`);
  }
  const parsed = bootJson.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `${file} does not follow the boot.json contract: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  return parsed.data;
}
