// Copies of the repository's own Pulumi project in a scratch folder, so that no test reads or
// writes the user's stacks: those are stacks/Pulumi.<stack>.yaml (Pulumi.yaml stackConfigDir,
// git-ignored), into which `pulumi stack init` writes an encryption salt. Tests start from the
// committed templates in stack-templates/ instead.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import * as path from "node:path";
import { repoRoot } from "./paths";

/** A committed stack template (stack-templates/<name>.yaml), with its first guest renamed when asked. */
export function stackTemplate(name: string, opts: { guestName?: string } = {}): string {
  const text = readFileSync(path.join(repoRoot, "stack-templates", `${name}.yaml`), "utf8");
  if (opts.guestName === undefined) return text;
  // The guests' names are libvirt domain names: a test's must carry its run's prefix.
  const renamed = text.replace(/^(\s*- name:\s*)\S+$/m, `$1${opts.guestName}`);
  if (renamed === text) throw new Error(`stack-templates/${name}.yaml names no guest to rename`);
  return renamed;
}

/**
 * The project (Pulumi.yaml, package.json) with one stack's config started from its template,
 * and the repository's dist/ and node_modules/ linked in (modules resolve from the repository).
 */
export function rootProjectCopy(dir: string, stack: string, opts: { guestName?: string } = {}): string {
  mkdirSync(path.join(dir, "stacks"), { recursive: true });
  const yaml = readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8").replace(
    "path: ./provider/bin",
    `path: ${path.join(repoRoot, "provider", "bin")}`,
  );
  if (!/^stackConfigDir: stacks$/m.test(yaml))
    throw new Error("Pulumi.yaml no longer keeps stacks in stacks/");
  writeFileSync(path.join(dir, "Pulumi.yaml"), yaml);
  writeFileSync(path.join(dir, "stacks", `Pulumi.${stack}.yaml`), stackTemplate(stack, opts));
  copyFileSync(path.join(repoRoot, "package.json"), path.join(dir, "package.json"));
  symlinkSync(path.join(repoRoot, "dist"), path.join(dir, "dist"));
  symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

/**
 * Every file git tracks, as it is in the working tree (modes kept), with node_modules/ linked
 * in and nothing else: no dist/, no stacks/, no state. A user's fresh clone, for running the
 * scripts and the README's commands as a user would.
 */
export function checkoutCopy(dir: string): string {
  const files = execFileSync("git", ["ls-files", "-z"], { cwd: repoRoot, encoding: "utf8" })
    .split("\0")
    .filter((file) => file !== "" && existsSync(path.join(repoRoot, file)));
  for (const file of files) {
    const from = path.join(repoRoot, file);
    const to = path.join(dir, file);
    mkdirSync(path.dirname(to), { recursive: true });
    copyFileSync(from, to);
    chmodSync(to, statSync(from).mode & 0o777);
  }
  symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}
