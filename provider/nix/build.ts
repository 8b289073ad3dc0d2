// nixlab:nix:Build — builds a flake attribute and keeps its closure alive with a GC root.
//
// Drift detection keys on the derivation path: diff evaluates `<attr>.drvPath` (cheap, builds
// nothing), so any change that reaches the derivation — a module, a pinned input — shows as an
// update in `pulumi preview`, and an unchanged derivation is a no-op that starts no build.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import * as z from "zod";
import { runChecked } from "../exec";
import type { Context, ResourceDefinition } from "../resource";
import { declaredDiff, declareResource, type StateOf } from "../schema/declare";
import {
  buildArgs,
  buildDrvArgs,
  type FlakeTarget,
  outLinks,
  parseBuildJson,
  pathInfoArgs,
} from "./commands";
import { batcherFor, batchLimit } from "./eval-batch";
import { defaultGcRootDir, isStoreLink, removeRoots, rootBaseName } from "./gc-roots";
import { removeGeneratedFlake } from "./generated";
import { isInvalidPath, parsePathInfo } from "./path-info";
import { BuildProgress, drvName } from "./progress";

const attrPath = /^[A-Za-z_][A-Za-z0-9_'-]*(\.([A-Za-z_][A-Za-z0-9_'-]*|"[^"]*"))*$/;

export const buildInputs = z.object({
  flake: z
    .string()
    .min(1, "must name a flake")
    .refine((f) => !f.startsWith("."), "must be absolute: a flake reference or an absolute path")
    .meta({
      description: "A flake reference (`path:/…`, `github:…`); the SDK makes a local path `path:/abs`.",
    }),
  attribute: z
    .string()
    .regex(attrPath, "must be an attribute path such as packages.x86_64-linux.default")
    .meta({
      description: "The attribute to build, e.g. `nixosConfigurations.vm.config.system.build.toplevel`.",
    }),
  overrideInputs: z
    .record(z.string().regex(/^[A-Za-z0-9_/-]+$/, "must be an input name"), z.string().min(1))
    .default({})
    .meta({ description: "Input name → flake reference, passed as `--override-input`." }),
  extraArgs: z.array(z.string()).default([]).meta({ description: "More arguments for nix." }),
  system: z
    .string()
    .regex(/^[a-z0-9_]+-[a-z0-9_]+$/, "must be a Nix system such as x86_64-linux")
    .optional()
    .meta({ description: "Nix's `system` setting." }),
  outputNames: z
    .array(z.string().regex(/^(\*|[A-Za-z0-9_-]+)$/, "must be an output name or *"))
    .min(1)
    .optional()
    .meta({
      description:
        'Outputs to build and root: names, or `["*"]` for all (default: the derivation\'s default outputs).',
    }),
  gcRootDir: z
    .string()
    .refine((d) => path.isAbsolute(d), "must be an absolute path")
    .optional()
    .meta({
      description:
        "Where the GC root links go (default `$NIXLAB_STATE_DIR/gcroots`, else `~/.local/state/nixlab/gcroots`).",
    }),
});
export type BuildInputs = z.infer<typeof buildInputs>;

export const buildDeclaration = declareResource({
  token: "nixlab:nix:Build",
  description:
    "Builds a flake attribute and keeps its closure alive with GC roots; drift is detected on the derivation path.",
  inputs: buildInputs,
  outputs: z.object({
    drvPath: z.string().meta({ description: "The derivation." }),
    outPath: z.string().meta({ description: "The `out` output (or the first one)." }),
    outputs: z.record(z.string(), z.string()).meta({ description: "Output name → store path." }),
    closureSize: z.number().meta({ description: "Size of the closure of outPath, in bytes." }),
    narHash: z.string().meta({ description: "NAR hash of outPath." }),
    gcRoots: z.record(z.string(), z.string()).meta({ description: "Output name → GC root link." }),
  }),
});

export type BuildState = StateOf<typeof buildDeclaration>;

const target = (i: BuildInputs): FlakeTarget => ({
  flake: i.flake,
  attribute: i.attribute,
  overrideInputs: i.overrideInputs,
  extraArgs: i.extraArgs,
  system: i.system,
  outputs: i.outputNames,
});

const tail = (stderr: string): string => stderr.trim().split("\n").slice(-15).join("\n");

/** The derivation path, evaluated together with other Builds' whose diffs run at the same time. */
export async function evalDrvPath(ctx: Context, i: BuildInputs): Promise<string> {
  return await batcherFor(ctx.run).drvPath(target(i));
}

/**
 * The nix build command line: the derivation evaluated together with the other Builds created at
 * the same time (one evaluator for a lab), built as DRV^outputs; or, when that evaluation fails
 * or batching is off (NIXLAB_EVAL_BATCH=1), the installable itself, which evaluates it alone and
 * reports any error as nix does.
 */
async function buildCommand(ctx: Context, i: BuildInputs, outLink: string): Promise<string[]> {
  if (batchLimit() > 1) {
    const planned = await batcherFor(ctx.run)
      .buildTarget(target(i))
      .catch(() => undefined);
    // Unrooted between the evaluation and the build: gone if a garbage collection ran meanwhile.
    if (planned && existsSync(planned.drvPath))
      return buildDrvArgs(target(i), planned.drvPath, i.outputNames ?? planned.outputs, outLink);
  }
  return buildArgs(target(i), outLink);
}

async function build(ctx: Context, id: string, i: BuildInputs): Promise<BuildState> {
  const rootDir = i.gcRootDir ?? defaultGcRootDir();
  mkdirSync(rootDir, { recursive: true });
  const base = path.join(rootDir, rootBaseName(ctx.name, id));
  const progress = new BuildProgress();
  const started = Date.now();
  let built = 0;
  const r = await ctx.run("nix", await buildCommand(ctx, i, base), {
    onStderrLine: (line) => {
      const ev = progress.feed(line);
      if (ev?.kind === "building") ctx.log.status(`building ${drvName(ev.drvPath)}`);
      if (ev?.kind === "built") built++;
      if (ev?.kind === "progress" && ev.expected > 0) {
        ctx.log.status(
          `${ev.done}/${ev.expected} derivations built${ev.running ? `, ${ev.running} running` : ""}`,
        );
      }
    },
  });
  if (r.exitCode !== 0) {
    throw new Error(
      `nix build of ${i.flake}#${i.attribute} failed:\n${progress.report() || r.stderr.trim()}`,
    );
  }
  const result = parseBuildJson(r.stdout);
  const outputs = result.outputs;
  const outPath = outputs.out ?? Object.values(outputs)[0];
  if (!outPath) throw new Error(`nix build of ${i.attribute} produced no outputs`);
  if (built > 0)
    ctx.log.info(`built ${built} derivation(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const info = parsePathInfo(
    (await runChecked(ctx.run, "nix", pathInfoArgs([outPath], { closureSize: true }))).stdout,
  )[0];
  const links = outLinks(base, Object.keys(outputs));
  for (const [name, link] of Object.entries(links)) {
    if (!isStoreLink(link))
      throw new Error(`nix build did not create the GC root ${link} for output ${name}`);
  }
  return {
    flake: i.flake,
    attribute: i.attribute,
    overrideInputs: i.overrideInputs,
    extraArgs: i.extraArgs,
    ...(i.system ? { system: i.system } : {}),
    ...(i.gcRootDir ? { gcRootDir: i.gcRootDir } : {}),
    ...(i.outputNames ? { outputNames: i.outputNames } : {}),
    drvPath: result.drvPath,
    outPath,
    outputs,
    closureSize: info?.closureSize ?? 0,
    narHash: info?.narHash ?? "",
    gcRoots: links,
  };
}

export const buildResource: ResourceDefinition<BuildInputs, BuildState> = {
  declaration: buildDeclaration,

  async diff(ctx, _id, olds, news) {
    const byInputs = declaredDiff(buildDeclaration, olds, news);
    const drvPath = await evalDrvPath(ctx, news);
    const drvChanged = drvPath !== olds.drvPath;
    if (drvChanged) ctx.log.info(`derivation changed: ${olds.drvPath} -> ${drvPath}`);
    const rootsMissing = Object.values(olds.gcRoots ?? {}).some((l) => !isStoreLink(l));
    if (rootsMissing) ctx.log.info("GC roots are missing: they will be made again");
    return { ...byInputs, changes: byInputs.changes || drvChanged || rootsMissing };
  },

  async create(ctx, news) {
    const id = randomBytes(6).toString("hex");
    return { id, state: await build(ctx, id, news) };
  },

  async read(ctx, id, state) {
    const r = await ctx.run("nix", pathInfoArgs([state.outPath], { closureSize: true }));
    if (r.exitCode !== 0 && !isInvalidPath(r.stderr))
      // Could not look (a broken store, a nix that fails): that is not "gone".
      throw new Error(`nix path-info ${state.outPath} failed:\n${tail(r.stderr)}`);
    const info = r.exitCode === 0 ? parsePathInfo(r.stdout)[0] : undefined;
    if (!info?.valid || !existsSync(state.outPath)) {
      // The output was garbage-collected or deleted: the build no longer exists, nor its roots.
      removeRoots(Object.values(state.gcRoots ?? {}));
      return null;
    }
    const gcRoots = Object.fromEntries(Object.entries(state.gcRoots ?? {}).filter(([, l]) => isStoreLink(l)));
    return {
      id,
      state: {
        ...state,
        closureSize: info.closureSize ?? state.closureSize,
        narHash: info.narHash ?? state.narHash,
        gcRoots,
      },
    };
  },

  async update(ctx, id, olds, news) {
    const state = await build(ctx, id, news);
    const kept = new Set(Object.values(state.gcRoots));
    removeRoots(Object.values(olds.gcRoots ?? {}).filter((l) => !kept.has(l)));
    if (olds.flake !== news.flake) removeGeneratedFlake(olds.flake);
    return state;
  },

  async delete(_ctx, _id, state) {
    removeRoots(Object.values(state.gcRoots ?? {}));
    removeGeneratedFlake(state.flake);
  },
};
