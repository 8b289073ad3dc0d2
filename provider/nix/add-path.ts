// nixlab:nix:AddPath — a local file or folder added to the Nix store (nix store add-path), kept
// alive by a GC root, so that it can be copied to other hosts like any closure (an imageless
// guest's kernel and modules on a remote libvirt host). Drift: the source's file list, sizes and
// modification times (cheap; no hashing of a kernel's modules on every preview), and the store
// path or root going away.
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import * as path from "node:path";
import * as z from "zod";
import { runChecked } from "../exec";
import type { Context, ResourceDefinition } from "../resource";
import { declaredDiff, declareResource, type StateOf } from "../schema/declare";
import { defaultGcRootDir, isStoreLink, removeRoots, rootBaseName } from "./gc-roots";

export const addPathInputs = z
  .object({
    path: z
      .string()
      .refine((p) => path.isAbsolute(p), "must be an absolute path")
      .meta({ description: "The file or folder on this machine." }),
    name: z
      .string()
      .regex(/^[A-Za-z0-9+\-_?=][A-Za-z0-9+\-._?=]*$/, "must be a store path name (A-Z a-z 0-9 + - . _ ? =)")
      .max(200)
      .optional()
      .meta({ description: "The store path's name (default: the file's name)." }),
    gcRootDir: z
      .string()
      .refine((d) => path.isAbsolute(d), "must be an absolute path")
      .optional()
      .meta({ description: "Where the GC root link goes (default `$NIXLAB_STATE_DIR/gcroots`)." }),
  })
  .strict();
export type AddPathInputs = z.infer<typeof addPathInputs>;

export const addPathDeclaration = declareResource({
  token: "nixlab:nix:AddPath",
  description:
    "Adds a local file or folder to the Nix store and keeps it with a GC root, e.g. a kernel to copy to a host.",
  inputs: addPathInputs,
  outputs: z.object({
    storePath: z.string().meta({ description: "The store path it was added as." }),
    fingerprint: z.string().meta({
      description: "Files, bytes and newest modification time of the source when it was added (its drift).",
    }),
    gcRoot: z.string().meta({ description: "The GC root link." }),
  }),
});

export type AddPathState = StateOf<typeof addPathDeclaration>;

/** Count, total size and newest mtime of the files under `p` (symlinks as links). */
export function fingerprint(p: string): string {
  let files = 0;
  let bytes = 0;
  let newest = 0;
  const visit = (f: string) => {
    const st = lstatSync(f);
    files++;
    newest = Math.max(newest, Math.floor(st.mtimeMs));
    if (st.isDirectory()) for (const e of readdirSync(f)) visit(path.join(f, e));
    else bytes += st.size;
  };
  visit(p);
  return `${files} files, ${bytes} bytes, newest ${newest}`;
}

const storeName = (i: AddPathInputs): string => i.name ?? path.basename(i.path);

async function add(ctx: Context, id: string, i: AddPathInputs): Promise<AddPathState> {
  if (!existsSync(i.path)) throw new Error(`path: no such file or folder: ${i.path}`);
  const print = fingerprint(i.path);
  ctx.log.status(`adding ${i.path} to the Nix store (${print})`);
  const r = await runChecked(ctx.run, "nix", ["store", "add-path", "--name", storeName(i), i.path]);
  const storePath = r.stdout.trim();
  const dir = i.gcRootDir ?? defaultGcRootDir();
  mkdirSync(dir, { recursive: true });
  const gcRoot = path.join(dir, rootBaseName(ctx.name, id));
  // No window for a collection to take it: the root goes on right after the add.
  await runChecked(ctx.run, "nix-store", ["--add-root", gcRoot, "--realise", storePath]);
  return {
    path: i.path,
    ...(i.name ? { name: i.name } : {}),
    ...(i.gcRootDir ? { gcRootDir: i.gcRootDir } : {}),
    storePath,
    fingerprint: print,
    gcRoot,
  };
}

export const addPathResource: ResourceDefinition<AddPathInputs, AddPathState> = {
  declaration: addPathDeclaration,

  async preflight(_ctx, news) {
    return existsSync(news.path)
      ? []
      : [{ property: "path", reason: `no such file or folder: ${news.path}` }];
  },

  async diff(ctx, _id, olds, news) {
    const byInputs = declaredDiff(addPathDeclaration, olds, news);
    const changed = existsSync(news.path) && fingerprint(news.path) !== olds.fingerprint;
    if (changed) ctx.log.info(`${news.path} changed: it is added again`);
    const gone = !isStoreLink(olds.gcRoot) || !existsSync(olds.storePath);
    return { ...byInputs, changes: byInputs.changes || changed || gone };
  },

  async create(ctx, news) {
    const id = randomBytes(6).toString("hex");
    return { id, state: await add(ctx, id, news) };
  },

  async read(_ctx, id, state) {
    // Collected or deleted: it is added again at the next up.
    if (!existsSync(state.storePath)) {
      removeRoots([state.gcRoot]);
      return null;
    }
    return { id, state };
  },

  async update(ctx, id, olds, news) {
    const state = await add(ctx, id, news);
    if (olds.gcRoot !== state.gcRoot) removeRoots([olds.gcRoot]);
    return state;
  },

  async delete(_ctx, _id, state) {
    removeRoots([state.gcRoot]);
  },
};
