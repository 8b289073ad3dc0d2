// nixlab:libvirt:Pool — a `dir` storage pool: define, build, start, autostart. Delete only when
// empty unless forceDelete; an adopted pool (existing: true) is never touched.
import * as z from "zod";
import type { Context, Diff, ResourceDefinition } from "../resource";
import { diffStable } from "./compare";
import { declare, known } from "./declared";
import { absolutePath, objectName, uri } from "./schema";
import { Virsh } from "./virsh";
import { attr, buildXml, child, parseXml, text } from "./xml";

export const poolInputs = z
  .object({
    uri,
    name: objectName,
    /** Target directory; created (pool-build) when missing, and then removed on delete. */
    path: absolutePath.optional(),
    /** Use the pool of this name that already exists; never change or delete it. */
    existing: z.boolean().default(false),
    autostart: z.boolean().default(true),
    /** Delete the volumes still in the pool on delete, instead of failing. */
    forceDelete: z.boolean().default(false),
  })
  .superRefine((v, ctx) => {
    if (!v.existing && v.path === undefined)
      ctx.addIssue({ code: "custom", path: ["path"], message: "is required unless existing is true" });
  });

export type PoolInputs = z.output<typeof poolInputs>;

export interface PoolState extends Record<string, unknown> {
  uri: string;
  name: string;
  path?: string;
  existing: boolean;
  autostart: boolean;
  forceDelete: boolean;
  uuid: string;
  /** The target path libvirt reports (also for adopted pools). */
  targetPath: string;
  active: boolean;
  /** Whether this resource created the target directory (so removes it on delete). */
  createdDir: boolean;
}

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

const keys = ["uri", "name", "path", "existing", "autostart", "forceDelete"] as const;
const replaceOnChanges = ["uri", "name", "path", "existing"] as const;

async function readLive(v: Virsh, idOrName: string) {
  const xml = await v.dumpOrNull(["pool-dumpxml", idOrName]);
  if (xml === null) return null;
  const live = parsePoolXml(xml);
  const info = (await v.info(["pool-info", live.uuid])) ?? {};
  return { live, active: info.State === "running", autostart: info.Autostart === "yes" };
}

export const poolDefinition: ResourceDefinition<PoolInputs, PoolState> = {
  token: "nixlab:libvirt:Pool",
  inputs: poolInputs,
  replaceOnChanges,

  async preflight(ctx: Context, news: PoolInputs) {
    if (!known(news.uri, news.name)) return [];
    const v = new Virsh(ctx.run, news.uri);
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

  async diff(_ctx, _id, olds, news): Promise<Diff> {
    return diffStable(olds, news, keys, replaceOnChanges);
  },

  async create(ctx, news) {
    const v = new Virsh(ctx.run, news.uri);
    if (news.existing) {
      const r = await readLive(v, news.name);
      if (!r)
        throw new Error(`name: no libvirt storage pool named ${JSON.stringify(news.name)} on ${news.uri}`);
      return { id: r.live.uuid, state: toState(news, r, false) };
    }
    const path = news.path as string;
    await v.withXml("pool-define", poolXml({ name: news.name, path }));
    let createdDir = false;
    try {
      // Starting a dir pool fails when its directory is missing: that is how we learn (also on a
      // remote host) whether the directory is ours to create and, later, to remove.
      const start = await v.attempt(["pool-start", news.name]);
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
    const v = new Virsh(ctx.run, state.uri);
    const r = await readLive(v, id);
    if (!r) return null;
    const s = toState(state, r, state.createdDir);
    return { id, state: { ...s, path: state.existing ? state.path : r.live.targetPath } };
  },

  async update(ctx, id, olds, news) {
    const v = new Virsh(ctx.run, news.uri);
    if (!news.existing && olds.autostart !== news.autostart)
      await v.exec(news.autostart ? ["pool-autostart", id] : ["pool-autostart", id, "--disable"]);
    const r = await readLive(v, id);
    if (!r) throw new Error(`storage pool ${news.name} (${id}) no longer exists`);
    return toState(news, r, olds.createdDir);
  },

  async delete(ctx, id, state) {
    if (state.existing) return; // adopted: not ours
    const v = new Virsh(ctx.run, state.uri);
    if ((await v.dumpOrNull(["pool-dumpxml", id])) === null) return;
    const running = (await v.info(["pool-info", id]))?.State === "running";
    if (!running) await v.attempt(["pool-start", id]);
    await v.attempt(["pool-refresh", id]);
    const vols = await listVolumePaths(v, id);
    if (vols.length > 0) {
      if (!state.forceDelete)
        throw new Error(
          `storage pool ${state.name} still holds volumes (${vols.join(", ")}): delete them first, or set forceDelete`,
        );
      // Overlays first, so that no base is deleted under an overlay.
      for (const vol of await overlaysFirst(v, vols)) await v.exec(["vol-delete", vol]);
    }
    await v.attempt(["pool-destroy", id]);
    if (state.createdDir) await v.exec(["pool-delete", id]);
    await v.exec(["pool-undefine", id]);
  },
};

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
    uuid: r.live.uuid,
    targetPath: r.live.targetPath,
    active: r.active,
    createdDir,
  };
}
