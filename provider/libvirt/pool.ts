// nixlab:libvirt:Pool — a `dir` storage pool: define, build, start, autostart. Delete only when
// empty unless forceDelete; an adopted pool (existing: true) is never touched.
import { existsSync } from "node:fs";
import * as z from "zod";
import type { Context, Diff, ResourceDefinition } from "../resource";
import { declaredDiff, declareResource, type StateOf } from "../schema/declare";
import { declare, known } from "./declared";
import { absolutePath, objectName, uriInput } from "./schema";
import { sshInput } from "./ssh-connection";
import { type Virsh, virshFor } from "./virsh";
import { attr, buildXml, child, parseXml, text } from "./xml";

const replace = { replaceOnChanges: true } as const;

export const poolInputs = z
  .object({
    uri: uriInput,
    name: objectName.meta({ description: "The pool's name in libvirt.", ...replace }),
    path: absolutePath.optional().meta({
      description:
        "Target directory. Required unless `existing`. Created (pool-build) when missing, and then removed on delete.",
      ...replace,
    }),
    existing: z
      .boolean()
      .default(false)
      .meta({
        description: "Adopt the pool of this name that already exists; never change or delete it.",
        ...replace,
      }),
    autostart: z.boolean().default(true).meta({ description: "Start the pool with libvirtd." }),
    forceDelete: z.boolean().default(false).meta({
      description: "On delete, delete the volumes still in the pool (overlays first) instead of failing.",
    }),
    ssh: sshInput,
  })
  .superRefine((v, ctx) => {
    if (!v.existing && v.path === undefined)
      ctx.addIssue({ code: "custom", path: ["path"], message: "is required unless existing is true" });
  });

export const poolDeclaration = declareResource({
  token: "nixlab:libvirt:Pool",
  description: "A `dir` storage pool: defined, built when its directory is missing, started and autostarted.",
  inputs: poolInputs,
  outputs: z.object({
    uuid: z.string().meta({ description: "The pool's UUID (the resource ID)." }),
    targetPath: z.string().meta({ description: "The target path libvirt reports (also for adopted pools)." }),
    active: z.boolean().meta({ description: "Whether the pool is running." }),
    createdDir: z
      .boolean()
      .meta({ description: "Whether this resource created the target directory (then removed on delete)." }),
  }),
  deleteBeforeReplace: true,
});

export type PoolInputs = z.output<typeof poolInputs>;
export type PoolState = StateOf<typeof poolDeclaration>;

export function poolXml(p: { name: string; path: string }): string {
  return buildXml({ pool: { "@_type": "dir", name: p.name, target: { path: p.path } } });
}

export interface PoolLive {
  uuid: string;
  name: string;
  type: string;
  targetPath: string;
}

export function parsePoolXml(xml: string): PoolLive {
  const pool = child(parseXml(xml), "pool");
  return {
    uuid: text(pool, "uuid") ?? "",
    name: text(pool, "name") ?? "",
    type: attr(pool, "type") ?? "",
    targetPath: text(child(pool, "target"), "path") ?? "",
  };
}

async function readLive(v: Virsh, idOrName: string) {
  const xml = await v.dumpOrNull(["pool-dumpxml", idOrName]);
  if (xml === null) return null;
  const live = parsePoolXml(xml);
  const info = (await v.info(["pool-info", live.uuid])) ?? {};
  return { live, active: info.State === "running", autostart: info.Autostart === "yes" };
}

export const poolDefinition: ResourceDefinition<PoolInputs, PoolState> = {
  declaration: poolDeclaration,

  async preflight(ctx: Context, news: PoolInputs) {
    if (!known(news.uri, news.name)) return [];
    const v = virshFor(ctx, news.uri, news.ssh);
    if (news.existing) {
      if ((await v.dumpOrNull(["pool-dumpxml", news.name])) === null)
        return [
          {
            property: "name",
            reason: `no libvirt storage pool named ${JSON.stringify(news.name)} on ${news.uri}`,
          },
        ];
    }
    declare("pool", news.uri, news.name, ctx.urn);
    return [];
  },

  async diff(ctx, id, olds, news): Promise<Diff> {
    const d = declaredDiff(poolDeclaration, olds, news);
    if (d.changes || news.existing) return d;
    // Changed behind our back with no refresh since: gone (create it again) or broken (repair).
    const v = virshFor(ctx, olds.uri, olds.ssh);
    if ((await v.dumpOrNull(["pool-dumpxml", id])) === null) return { changes: true, replaces: ["name"] };
    const running = (await v.info(["pool-info", id]))?.State === "running";
    const dirOk = !running || !v.local || existsSync(String(olds.targetPath));
    return running && dirOk && olds.active !== false ? d : { ...d, changes: true };
  },

  async create(ctx, news) {
    const v = virshFor(ctx, news.uri, news.ssh);
    if (news.existing) {
      const r = await readLive(v, news.name);
      if (!r)
        throw new Error(`name: no libvirt storage pool named ${JSON.stringify(news.name)} on ${news.uri}`);
      return { id: r.live.uuid, state: toState(news, r, false) };
    }
    const path = news.path as string;
    const found = await readLive(v, news.name);
    if (found) {
      // Not in the state but defined: an interrupted earlier create of this pool, when it is
      // the same directory and holds nothing (an empty pool of that path is no one's data).
      if (found.live.targetPath !== path)
        throw new Error(
          `name: a storage pool ${JSON.stringify(news.name)} already exists on ${news.uri} at ${found.live.targetPath}: adopt it with existing: true, or choose another name`,
        );
      if (found.active) await v.attempt(["pool-refresh", news.name]);
      const vols = found.active ? await listVolumePaths(v, news.name) : [];
      if (vols.length > 0)
        throw new Error(
          `name: a storage pool ${JSON.stringify(news.name)} already exists on ${news.uri} and holds ${vols.length} volume(s): adopt it with existing: true, or choose another name`,
        );
      ctx.log.warn(`taking over the empty pool ${news.name} at ${path} (left by an interrupted create)`);
    } else {
      await v.withXml("pool-define", poolXml({ name: news.name, path }));
    }
    let createdDir = false;
    try {
      // Starting a dir pool fails when its directory is missing: that is how we learn (also on a
      // remote host) whether the directory is ours to create and, later, to remove.
      const start = found?.active ? { exitCode: 0 } : await v.attempt(["pool-start", news.name]);
      if (start.exitCode !== 0) {
        await v.exec(["pool-build", news.name]);
        createdDir = true;
        await v.exec(["pool-start", news.name]);
      }
      await v.exec(
        news.autostart ? ["pool-autostart", news.name] : ["pool-autostart", news.name, "--disable"],
      );
      const r = await readLive(v, news.name);
      if (!r) throw new Error(`pool ${news.name} vanished while it was being created`);
      ctx.log.info(`pool ${news.name} at ${path}${createdDir ? " (directory created)" : ""}`);
      return { id: r.live.uuid, state: toState(news, r, createdDir) };
    } catch (err) {
      await v.attempt(["pool-destroy", news.name]);
      if (createdDir) await v.attempt(["pool-delete", news.name]);
      await v.attempt(["pool-undefine", news.name]);
      throw err;
    }
  },

  async read(ctx, id, state) {
    const v = virshFor(ctx, state.uri, state.ssh);
    const health = await poolHealth(v, id, { start: false });
    if (!health.r) return null;
    if (!health.usable) ctx.log.warn(`storage pool ${state.name}: ${health.problem}`);
    const s = toState(state, health.r, state.createdDir);
    return {
      id,
      state: { ...s, active: health.usable, path: state.existing ? state.path : health.r.live.targetPath },
    };
  },

  async update(ctx, id, olds, news) {
    const v = virshFor(ctx, news.uri, news.ssh);
    let createdDir = olds.createdDir;
    if (!news.existing) {
      const health = await poolHealth(v, id, { start: false });
      if (!health.usable) {
        // Repair: a deleted directory is built again (and is then ours), a stopped pool started.
        ctx.log.warn(`storage pool ${news.name}: ${health.problem}; repairing it`);
        await v.attempt(["pool-destroy", id]);
        const start = await v.attempt(["pool-start", id]);
        if (start.exitCode !== 0) {
          await v.exec(["pool-build", id]);
          createdDir = true;
          await v.exec(["pool-start", id]);
        }
      }
      if (olds.autostart !== news.autostart)
        await v.exec(news.autostart ? ["pool-autostart", id] : ["pool-autostart", id, "--disable"]);
    }
    const r = await readLive(v, id);
    if (!r) throw new Error(`storage pool ${news.name} (${id}) no longer exists`);
    return toState(news, r, createdDir);
  },

  async delete(ctx, id, state) {
    if (state.existing) return; // adopted: not ours
    const v = virshFor(ctx, state.uri, state.ssh);
    if ((await v.dumpOrNull(["pool-dumpxml", id])) === null) return;
    const health = await poolHealth(v, id, { start: true });
    // The pool's own volumes were deleted by their Volume resources before this runs: what is
    // left (a user's file, a base another stack found) is not ours to delete, unless forceDelete.
    let kept = health.usable ? await listVolumePaths(v, id) : [];
    if (kept.length > 0 && state.forceDelete) {
      // Overlays first, so that no base is deleted under an overlay.
      for (const vol of await overlaysFirst(v, kept)) await v.exec(["vol-delete", vol]);
      kept = [];
    }
    await v.attempt(["pool-destroy", id]);
    if (state.createdDir && health.usable) {
      if (kept.length === 0) {
        // pool-delete of a dir pool is an rmdir: it never removes files.
        const r = await v.attempt(["pool-delete", id]);
        if (r.exitCode !== 0)
          ctx.log.warn(`kept the pool directory ${state.targetPath}: ${r.stderr.trim().split("\n").pop()}`);
      }
    }
    if (kept.length > 0)
      ctx.log.warn(
        `kept the pool directory ${state.targetPath} and ${kept.length} file(s) nixlab did not create: ${kept.join(", ")} (they are not nixlab's to delete; remove them by hand when you no longer need them)`,
      );
    await v.exec(["pool-undefine", id]);
  },
};

/**
 * Is the pool there, running, with its directory? A directory deleted behind libvirt's back
 * shows as a failing pool-refresh (libvirt then stops the pool) or a failing start.
 */
async function poolHealth(
  v: Virsh,
  id: string,
  opts: { start: boolean },
): Promise<{ r: Awaited<ReturnType<typeof readLive>>; usable: boolean; problem: string }> {
  const r = await readLive(v, id);
  if (!r) return { r, usable: false, problem: "not defined" };
  if (!r.active) {
    if (!opts.start) return { r, usable: false, problem: "not running" };
    const start = await v.attempt(["pool-start", id]);
    if (start.exitCode !== 0)
      return { r, usable: false, problem: `cannot start: ${start.stderr.trim().split("\n").pop()}` };
  }
  const refresh = await v.attempt(["pool-refresh", id]);
  if (refresh.exitCode !== 0)
    return {
      r,
      usable: false,
      problem: `its directory is unusable: ${refresh.stderr.trim().split("\n").pop()}`,
    };
  return { r: (await readLive(v, id)) ?? r, usable: true, problem: "" };
}

/**
 * Paths of the volumes in a pool. `vol-list` prints a padded "name path" table with no
 * machine-readable form; in a dir pool every path is `<target>/<name>`, which finds the path
 * column whatever the name holds.
 */
export async function listVolumePaths(v: Virsh, pool: string): Promise<string[]> {
  const xml = await v.dumpOrNull(["pool-dumpxml", pool]);
  if (xml === null) return [];
  const target = parsePoolXml(xml).targetPath.replace(/\/+$/, "");
  return parseVolList(await v.exec(["vol-list", pool]), target);
}

export function parseVolList(out: string, target: string): string[] {
  const paths: string[] = [];
  for (const line of out.split("\n")) {
    const i = line.indexOf(`${target}/`);
    if (i >= 0) paths.push(line.slice(i).trimEnd());
  }
  return paths;
}

async function overlaysFirst(v: Virsh, paths: string[]): Promise<string[]> {
  const backing = new Set<string>();
  for (const p of paths) {
    const xml = await v.dumpOrNull(["vol-dumpxml", p]);
    const b = xml === null ? undefined : text(child(child(parseXml(xml), "volume"), "backingStore"), "path");
    if (b) backing.add(b);
  }
  return [...paths.filter((p) => !backing.has(p)), ...paths.filter((p) => backing.has(p))];
}

function toState(
  inputs: PoolInputs | PoolState,
  r: { live: PoolLive; active: boolean; autostart: boolean },
  createdDir: boolean,
): PoolState {
  return {
    uri: inputs.uri,
    name: r.live.name,
    ...(inputs.path !== undefined ? { path: inputs.path } : {}),
    existing: inputs.existing,
    autostart: inputs.existing ? inputs.autostart : r.autostart,
    forceDelete: inputs.forceDelete,
    ...(inputs.ssh !== undefined ? { ssh: inputs.ssh } : {}),
    uuid: r.live.uuid,
    targetPath: r.live.targetPath,
    active: r.active,
    createdDir,
  };
}
