// The JSON spec that nix/lib/mk-system.nix (`lib.mkSystem`) builds a NixOS system from. It has one
// validator, nix/lib/spec.nix (with nix/lib/suites.nix for its `suite`): a flake calling mkSystem
// directly needs it without any TypeScript, and only Nix knows what a spec means once normalised
// (defaults, mount points, a suite's defaults). The program runs that check with
// `nix-instantiate --eval` (tens of milliseconds) before it registers any resource, so a bad spec
// fails with its key path before anything is built.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import * as z from "zod";
import { repositoryRoot } from "./locations";

/**
 * The spec as the TypeScript side handles it: it reads `backend` and passes the rest on; the
 * fields and what they may hold are nix/lib/spec.nix's (nix/README.md documents them).
 */
export type NixlabSpecInput = { backend?: string } & Record<string, unknown>;
/** A spec nix/lib/spec.nix accepted, as given. */
export type NixlabSpec = { backend: string } & Record<string, unknown>;

export interface SpecProblem {
  /** Key path, e.g. ["storage", "/mnt/x", "device"]. */
  path: (string | number)[];
  message: string;
}

/**
 * One problem line of the Nix validator, `<path>: <message>`, where the path is written as
 * JavaScript would: hostName, user.name, storage."/mnt/x".device, profiles[1].
 */
export function parseProblem(line: string): SpecProblem {
  const out: (string | number)[] = [];
  let i = 0;
  const ident = /^[A-Za-z_][A-Za-z0-9_]*/;
  for (;;) {
    const rest = line.slice(i);
    const name = ident.exec(rest);
    if (out.length === 0 && name) {
      out.push(name[0]);
      i += name[0].length;
    } else if (rest.startsWith(".") && ident.test(rest.slice(1))) {
      const m = ident.exec(rest.slice(1)) as RegExpExecArray;
      out.push(m[0]);
      i += 1 + m[0].length;
    } else if (rest.startsWith('."')) {
      const end = /^"(?:[^"\\]|\\.)*"/.exec(rest.slice(1));
      if (!end) break;
      out.push(JSON.parse(end[0]) as string);
      i += 1 + end[0].length;
    } else if (/^\[\d+\]/.test(rest)) {
      const m = /^\[(\d+)\]/.exec(rest) as RegExpExecArray;
      out.push(Number(m[1]));
      i += m[0].length;
    } else break;
  }
  if (out.length > 0 && line.startsWith(": ", i)) return { path: out, message: line.slice(i + 2) };
  return { path: [], message: line };
}

const libDir = (): string => path.join(repositoryRoot(), "nix", "lib");

/**
 * Apply a function of nix/lib (`lib: value: …`, lib holding spec and suites) to a JSON value and
 * return its result as JSON. The value goes in as JSON text (never as Nix source).
 */
function nixApply(fn: string, value: unknown): unknown {
  const expr = `{ libDir, input }: let lib = { spec = import (/. + "\${libDir}/spec.nix"); suites = import (/. + "\${libDir}/suites.nix"); }; in (${fn}) lib (builtins.fromJSON input)`;
  const out = execFileSync(
    "nix-instantiate",
    [
      "--eval",
      "--strict",
      "--json",
      "--expr",
      expr,
      "--argstr",
      "libDir",
      libDir(),
      "--argstr",
      "input",
      JSON.stringify(value ?? null),
    ],
    { encoding: "utf8", env: process.env, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(out);
}

/** Verdicts by function and value: a program asks about the same spec several times. */
const verdicts = new Map<string, SpecProblem[]>();

/** The problems (`[ "<path>: <message>" … ]`) a function of nix/lib finds; a Nix that cannot run is one too. */
function nixProblems(fn: string, value: unknown): SpecProblem[] {
  const key = `${fn}\n${JSON.stringify(value ?? null)}`;
  const known = verdicts.get(key);
  if (known) return known;
  let problems: SpecProblem[];
  try {
    problems = (nixApply(fn, value) as string[]).map(parseProblem);
  } catch (err) {
    const e = err as { code?: string; stderr?: string };
    const why =
      e.code === "ENOENT"
        ? "nix-instantiate is not on PATH (checking a spec needs Nix)"
        : (e.stderr ?? String(err)).trim().split("\n").slice(-3).join(" ");
    problems = [{ path: [], message: `could not be checked by nix/lib/spec.nix: ${why}` }];
  }
  verdicts.set(key, problems);
  return problems;
}

/** What nix/lib/spec.nix finds wrong with a spec (none: it is accepted). */
export const specProblems = (spec: unknown): SpecProblem[] =>
  // "spec: …" is about the whole value (not an object).
  nixProblems("lib: s: (lib.spec.check s).errors", spec).map((p) =>
    p.path.length === 1 && p.path[0] === "spec" ? { ...p, path: [] } : p,
  );

/**
 * What nix/lib/suites.nix finds wrong with a suite (`{ name, section?, options? }`); without the
 * rules between options, only names and kinds (the options a suite requires may still come from
 * its guest). Paths are relative to the suite.
 */
export function suiteProblems(suite: unknown, withRules: boolean): SpecProblem[] {
  const fn = withRules ? 'lib: s: lib.suites.check "suite" s' : 'lib: s: lib.suites.checkShape "suite" s';
  return nixProblems(fn, suite).map((p) => (p.path[0] === "suite" ? { ...p, path: p.path.slice(1) } : p));
}

/** One rule of nix/lib/spec.nix (`rules.<name>`) on one value: its problem, or undefined. */
export function specRule(
  name: "virtiofsTag" | "kernelParam" | "sshPublicKey",
  value: unknown,
): string | undefined {
  const [p] = nixProblems(
    `lib: v: let r = lib.spec.rules.${name} v; in if r == null then [ ] else [ r ]`,
    value,
  );
  return p?.message;
}

/** A zod string checked by one rule of nix/lib/spec.nix: the stack config's fields that follow it. */
const byRule = (name: Parameters<typeof specRule>[0]) =>
  z.string().superRefine((v, ctx) => {
    const problem = specRule(name, v);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });

/** A virtiofs tag (a guest's shares by tag). */
export const virtiofsTag = byRule("virtiofsTag");
/** One kernel command-line parameter (a guest's extraKernelParams). */
export const kernelParam = byRule("kernelParam");
/** One OpenSSH public key line, never a private key (the lab's sshKeys). Messages never quote it. */
export const sshPublicKey = byRule("sshPublicKey");

/**
 * Tags the imageless backend shares itself (the host's /nix/store, the kernel's modules): the
 * `imagelessOwnTags` of nix/lib/spec.nix, asked once.
 */
let ownTags: readonly string[] | undefined;
export function imagelessOwnTags(): readonly string[] {
  ownTags ??= nixApply("lib: _: lib.spec.imagelessOwnTags", null) as string[];
  return ownTags;
}

/** The spec checked by Nix: the issues carry Nix's key paths and messages. */
export const nixlabSpec = z
  .unknown()
  .superRefine((spec, ctx) => {
    for (const p of specProblems(spec)) ctx.addIssue({ code: "custom", path: p.path, message: p.message });
  })
  .transform((spec) => spec as NixlabSpec);
