// A copy of the repository's own Pulumi project (Pulumi.yaml + one stack file) in a scratch folder,
// with dist/ linked in: `pulumi stack init` writes an encryption salt into Pulumi.<stack>.yaml, and
// tests must not edit the committed files. Modules still resolve from the repository (realpath).
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { repoRoot } from "./paths";

export function rootProjectCopy(dir: string, stack: string): string {
  mkdirSync(dir, { recursive: true });
  const yaml = readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8").replace(
    "path: ./provider/bin",
    `path: ${path.join(repoRoot, "provider", "bin")}`,
  );
  writeFileSync(path.join(dir, "Pulumi.yaml"), yaml);
  copyFileSync(path.join(repoRoot, `Pulumi.${stack}.yaml`), path.join(dir, `Pulumi.${stack}.yaml`));
  copyFileSync(path.join(repoRoot, "package.json"), path.join(dir, "package.json"));
  symlinkSync(path.join(repoRoot, "dist"), path.join(dir, "dist"));
  symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}
