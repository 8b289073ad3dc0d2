// nixlab:libvirt:Volume — a storage volume made one of three ways:
//   upload   `source`: a local image file (a qcow2 from a Nix store path) uploaded into the pool.
//            Content-addressed: unless `name` is given, the volume name carries the store path's
//            hash (or the file's sha256), so a second stack or guest finds it and uploads nothing.
//   overlay  `backingVolume`: a qcow2 whose <backingStore> (with explicit format) is a base
//            volume; O(1) to create whatever the base's size.
//   empty    `size` (+ `format`): a blank disk, e.g. a test drive.
// A volume that still backs an overlay is never deleted.
import { createHash } from "node:crypto";
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as z from "zod";
import { type Context, type Diff, type ResourceDefinition, stable } from "../resource";
import { declaredDiff, declareResource, type StateOf } from "../schema/declare";
import { declare, declaredBy, known, volumeKey } from "./declared";
import { parsePoolXml, parseVolList } from "./pool";
import { withPoolLock } from "./pool-lock";
import { imageInfo } from "./qemu-img";
import { absolutePath, objectName, size, uriInput, volumeFormat } from "./schema";
import { sshInput } from "./ssh-connection";
import { libvirtBytes } from "./units";
import { type Virsh, virshFor } from "./virsh";
import { Gatherer, virshEach } from "./virsh-batch";
import { attr, buildXml, child, parseXml, text } from "./xml";

/** /nix/store/<hash>-<name>[/sub/path] */
const storePathRe = /^\/nix\/store\/([0-9a-df-np-sv-z]{32})-([A-Za-z0-9+\-._?=]+)(\/.*)?$/;

/**
 * The content-addressed name of an uploaded store path: `<hash>-<name>[-<sub-path>]`, e.g.
 * `0a1b…-nixos-disk-image-nixos.qcow2`. Undefined when the file is not in the Nix store.
 */
export function storeVolumeName(source: string): string | undefined {
  const m = storePathRe.exec(path.normalize(source));
  if (!m) return undefined;
  const sub = (m[3] ?? "").split("/").filter(Boolean).join("-");
  return [`${m[1]}-${m[2]}`, sub].filter(Boolean).join("-");
}

/** The content-addressed name of any other file: `sha256-<first 32 hex>-<basename>`. */
export function digestVolumeName(sha256Hex: string, source: string): string {
  return `sha256-${sha256Hex.slice(0, 32)}-${path.basename(source)}`;
}

async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

const replace = { replaceOnChanges: true } as const;

export const volumeInputs = z
  .object({
    uri: uriInput,
    pool: objectName.meta({ description: "Name of the pool the volume lives in.", ...replace }),
    name: objectName.optional().meta({
      description:
        "The volume's name. Required for overlays and empty volumes; an upload without one gets a content-addressed name.",
      ...replace,
    }),
    source: absolutePath.optional().meta({
      description: "Upload: a local image file (e.g. a qcow2 in the Nix store), uploaded into the pool.",
      ...replace,
    }),
    backingVolume: objectName.optional().meta({
      description: "Overlay: name of the base volume; the volume is a qcow2 overlay on it.",
      ...replace,
    }),
    backingPool: objectName
      .optional()
      .meta({ description: "Pool of the base volume (default: `pool`).", ...replace }),
    size: size.optional().meta({
      description:
        'Empty volume: its size (required), in bytes or with a unit ("10G", "512MiB"); overlay: its virtual size (default: the base\'s).',
      change: "growing: update (`vol-resize`); shrinking: replace",
    }),
    format: volumeFormat.optional().meta({
      description:
        "Empty volumes: default qcow2. Overlays are always qcow2. Uploads: detected when not given.",
      ...replace,
    }),
    ssh: sshInput,
  })
  .superRefine((v, ctx) => {
    const kinds = [v.source !== undefined, v.backingVolume !== undefined].filter(Boolean).length;
    if (kinds > 1)
      ctx.addIssue({
        code: "custom",
        path: ["backingVolume"],
        message: "give either source or backingVolume, not both",
      });
    if (v.source !== undefined && v.size !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["size"],
        message: "an uploaded volume takes the size of its source",
      });
    if (v.source === undefined && v.backingVolume === undefined && v.size === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["size"],
        message: "is required for an empty volume (or give source to upload, backingVolume for an overlay)",
      });
    if (v.source === undefined && v.name === undefined)
      ctx.addIssue({ code: "custom", path: ["name"], message: "is required for overlays and empty volumes" });
    if (v.backingVolume !== undefined && v.format === "raw")
      ctx.addIssue({ code: "custom", path: ["format"], message: "an overlay is always qcow2" });
    if (v.backingPool !== undefined && v.backingVolume === undefined)
      ctx.addIssue({ code: "custom", path: ["backingPool"], message: "only applies with backingVolume" });
  })
  .transform((v) => ({
    ...v,
    // Store paths are content-addressed by their path: the name is known already in Check.
    ...(v.name === undefined && v.source !== undefined && storeVolumeName(v.source)
      ? { name: storeVolumeName(v.source) }
      : {}),
  }));

export type VolumeInputs = z.output<typeof volumeInputs>;
export type VolumeKind = VolumeState["kind"];

export const volumeKind = (v: VolumeInputs): VolumeKind =>
  v.source !== undefined ? "upload" : v.backingVolume !== undefined ? "overlay" : "empty";

export const volumeDeclaration = declareResource({
  token: "nixlab:libvirt:Volume",
  description:
    "A storage volume: an uploaded image (`source`), a qcow2 overlay on a base volume (`backingVolume`), or an empty disk (`size`).",
  inputs: volumeInputs,
  outputs: z.object({
    name: z
      .string()
      .meta({ description: "The volume's name (for uploads: the content-addressed one it got)." }),
    kind: z.enum(["upload", "overlay", "empty"]).meta({
      description: "How the volume was made.",
      typeName: "VolumeKind",
    }),
    path: z
      .string()
      .meta({ description: "Path of the volume on the libvirt host (its key, and the resource ID)." }),
    capacity: z.number().meta({ description: "Virtual size in bytes." }),
    allocation: z.number().meta({ description: "Bytes allocated on the host." }),
    actualFormat: z.string().meta({ description: "The format libvirt reports." }),
    backingPath: z.string().optional().meta({ description: "Path of the base volume (overlays)." }),
    backingFormat: z.string().optional().meta({ description: "Format of the base volume (overlays)." }),
    created: z.boolean().meta({
      description:
        "False when an upload found its content-addressed volume already there (such a resource never deletes it).",
    }),
  }),
  deleteBeforeReplace: true,
});

export type VolumeState = StateOf<typeof volumeDeclaration>;

export interface VolumeSpec {
  name: string;
  capacity: number;
  format: "qcow2" | "raw";
  backing?: { path: string; format: string };
}

/** `<volume>` for vol-create. qcow2 gets compat 1.1 (libvirt would otherwise pick 0.10). */
export function volumeXml(s: VolumeSpec): string {
  return buildXml({
    volume: {
      name: s.name,
      capacity: { "@_unit": "bytes", "#text": String(s.capacity) },
      allocation: { "@_unit": "bytes", "#text": "0" },
      target: { format: { "@_type": s.format }, ...(s.format === "qcow2" ? { compat: "1.1" } : {}) },
      ...(s.backing
        ? { backingStore: { path: s.backing.path, format: { "@_type": s.backing.format } } }
        : {}),
    },
  });
}

export interface VolumeLive {
  name: string;
  key: string;
  path: string;
  capacity: number;
  allocation: number;
  physical: number;
  format: string;
  backingPath?: string;
  backingFormat?: string;
}

export function parseVolumeXml(xml: string): VolumeLive {
  const vol = child(parseXml(xml), "volume");
  const target = child(vol, "target");
  const backing = child(vol, "backingStore");
  const bytes = (name: string): number => {
    const n = child(vol, name);
    return libvirtBytes(text(n), attr(n, "unit"));
  };
  const backingPath = text(backing, "path");
  const backingFormat = attr(child(backing, "format"), "type");
  return {
    name: text(vol, "name") ?? "",
    key: text(vol, "key") ?? "",
    path: text(target, "path") ?? "",
    capacity: bytes("capacity"),
    allocation: bytes("allocation"),
    physical: bytes("physical"),
    format: attr(child(target, "format"), "type") ?? "",
    ...(backingPath ? { backingPath } : {}),
    ...(backingFormat ? { backingFormat } : {}),
  };
}

async function volumeByName(v: Virsh, pool: string, name: string): Promise<VolumeLive | null> {
  const xml = await v.dumpOrNull(["vol-dumpxml", name, "--pool", pool]);
  return xml === null ? null : parseVolumeXml(xml);
}

/** Every volume (in any active pool of the connection) whose backing store is `volPath`. */
export async function overlaysOf(v: Virsh, volPath: string): Promise<string[]> {
  return (await volumeScan(v)).users.get(volPath) ?? [];
}

interface VolumeScan {
  /** Paths of every volume in the active pools. */
  volumes: Set<string>;
  /** Backing path → the volumes on it. */
  users: Map<string, string[]>;
}

/**
 * Every volume of the connection's active pools and what backs it. Deletes that run side by side
 * share one scan (each sees a scan that started after it asked), made of three virsh processes
 * whatever the number of volumes: the pools, their volume lists, the volumes' XML.
 */
const scans = new Gatherer<Virsh, VolumeScan>(20, async (_uri, vs) => {
  const scan = scanVolumes(vs[0] as Virsh);
  return vs.map(() => scan);
});

const volumeScan = (v: Virsh): Promise<VolumeScan> =>
  scans.request(batchKey({ uri: v.uri, pool: "", ssh: v.opts.ssh }), v);

async function scanVolumes(v: Virsh): Promise<VolumeScan> {
  const pools = await v.names(["pool-list", "--name"]);
  const listed = await virshEach(
    v,
    pools.flatMap((p) => [
      ["pool-dumpxml", p],
      ["vol-list", p],
    ]),
  );
  const volumes: string[] = [];
  pools.forEach((_pool, i) => {
    const xml = listed[2 * i];
    const list = listed[2 * i + 1];
    if (!xml || !list) return; // stopped or gone meanwhile: no volumes to look at
    const target = parsePoolXml(xml).targetPath.replace(/\/+$/, "");
    volumes.push(...parseVolList(list, target));
  });
  const xmls = await virshEach(
    v,
    volumes.map((p) => ["vol-dumpxml", p]),
  );
  const users = new Map<string, string[]>();
  volumes.forEach((p, i) => {
    const xml = xmls[i];
    const backing = xml ? parseVolumeXml(xml).backingPath : undefined;
    if (backing) users.set(backing, [...(users.get(backing) ?? []), p]);
  });
  return { volumes: new Set(volumes), users };
}

function toState(news: VolumeInputs, name: string, live: VolumeLive, created: boolean): VolumeState {
  return {
    uri: news.uri,
    pool: news.pool,
    name,
    ...(news.source !== undefined ? { source: news.source } : {}),
    ...(news.backingVolume !== undefined ? { backingVolume: news.backingVolume } : {}),
    ...(news.backingPool !== undefined ? { backingPool: news.backingPool } : {}),
    ...(news.size !== undefined ? { size: news.size } : {}),
    ...(news.format !== undefined ? { format: news.format } : {}),
    kind: volumeKind(news),
    ...(news.ssh !== undefined ? { ssh: news.ssh } : {}),
    path: live.path,
    capacity: live.capacity,
    allocation: live.allocation,
    actualFormat: live.format,
    ...(live.backingPath ? { backingPath: live.backingPath } : {}),
    ...(live.backingFormat ? { backingFormat: live.backingFormat } : {}),
    created,
  };
}

export const volumeDefinition: ResourceDefinition<VolumeInputs, VolumeState> = {
  declaration: volumeDeclaration,

  async preflight(ctx: Context, news: VolumeInputs) {
    const failures: { property: string; reason: string }[] = [];
    if (!known(news.uri)) return failures;
    const v = virshFor(ctx, news.uri, news.ssh);
    const poolKnown =
      !known(news.pool) ||
      declaredBy("pool", news.uri, news.pool) !== undefined ||
      (await v.dumpOrNull(["pool-dumpxml", news.pool])) !== null;
    if (!poolKnown)
      failures.push({
        property: "pool",
        reason: `no libvirt storage pool named ${JSON.stringify(news.pool)} on ${news.uri}`,
      });
    if (news.source !== undefined) {
      // Uploads read a file on this machine, whatever the URI.
      let st: ReturnType<typeof statSync> | undefined;
      try {
        st = statSync(news.source);
      } catch {
        failures.push({ property: "source", reason: `no such file: ${news.source}` });
      }
      if (st && !st.isFile())
        failures.push({ property: "source", reason: `not a regular file: ${news.source}` });
      if (st?.isFile() && news.format !== undefined) {
        const [info] = await imageInfo(ctx.run, news.source);
        if (info && info.format !== news.format)
          failures.push({
            property: "format",
            reason: `is ${news.format}, but ${news.source} is a ${info.format} image`,
          });
      }
    }
    if (known(news.backingVolume, news.pool, news.backingPool ?? news.pool) && poolKnown) {
      const bpool = news.backingPool ?? news.pool;
      const backingVolume = news.backingVolume as string;
      const found =
        declaredBy("volume", news.uri, volumeKey(bpool, backingVolume)) !== undefined ||
        (await v.dumpOrNull(["vol-dumpxml", backingVolume, "--pool", bpool])) !== null;
      if (!found)
        failures.push({
          property: "backingVolume",
          reason: `no volume ${JSON.stringify(news.backingVolume)} in pool ${JSON.stringify(bpool)}`,
        });
    }
    if (failures.length === 0 && known(news.name, news.pool))
      declare("volume", news.uri, volumeKey(news.pool, news.name as string), ctx.urn);
    return failures;
  },

  async diff(ctx, _id, olds, news): Promise<Diff> {
    // An upload without a name keeps the content-addressed name it was given; size has its own rule.
    const d = declaredDiff(
      volumeDeclaration,
      olds,
      news,
      news.name === undefined ? ["name", "size"] : ["size"],
    );
    if (olds.size !== news.size) {
      // Growing is a vol-resize; shrinking would lose data, so it replaces.
      const shrinks = news.size === undefined || olds.size === undefined || news.size < olds.size;
      (shrinks ? d.replaces : d.updates).push("size");
      d.changes = true;
    }
    // Gone behind our back (and no refresh since): recreate it.
    if (
      !d.changes &&
      (await virshFor(ctx, olds.uri, olds.ssh).dumpOrNull(["vol-dumpxml", olds.path])) === null
    ) {
      ctx.log.warn(`volume ${olds.path} no longer exists: it will be created again`);
      return { changes: true, replaces: ["name"] };
    }
    return d;
  },

  async create(ctx, news) {
    if (volumeKind(news) === "upload")
      return await withPoolLock(news.uri, news.pool, () => createVolume(ctx, news));
    return await creates.request(batchKey(news), { ctx, news });
  },

  async read(ctx, id, state) {
    const xml = await reads.request(batchKey(state), { ctx, id, state });
    if (xml === null) return null;
    const live = parseVolumeXml(xml);
    // The requested size stays what was asked for (libvirt rounds capacity up); only a volume
    // that is now smaller than asked (shrunk out of band) shows as drift, which grows it back.
    const shrunk = state.size !== undefined && live.capacity < state.size;
    return {
      id,
      state: {
        ...state,
        name: live.name,
        path: live.path,
        capacity: live.capacity,
        allocation: live.allocation,
        actualFormat: live.format,
        ...(shrunk ? { size: live.capacity } : {}),
      },
    };
  },

  async update(ctx, id, olds, news) {
    return await withPoolLock(news.uri, news.pool, async () => {
      const v = virshFor(ctx, news.uri, news.ssh);
      if (news.size !== undefined && olds.size !== news.size) {
        ctx.log.info(`growing ${olds.path} to ${news.size} bytes`);
        await v.exec(["vol-resize", id, String(news.size)]);
      }
      const xml = await v.dumpOrNull(["vol-dumpxml", id]);
      if (xml === null) throw new Error(`volume ${olds.name} (${id}) no longer exists`);
      return toState(news, olds.name, parseVolumeXml(xml), olds.created);
    });
  },

  async delete(ctx, id, state) {
    if (!state.created) return; // found, not made: shared content-addressed base of someone else
    const v = virshFor(ctx, state.uri, state.ssh);
    // Outside the pool's lock, so that deletes side by side share one scan (the engine deletes
    // a base only after the overlays that depend on it).
    const scan = await volumeScan(v);
    if (!scan.volumes.has(id) && (await v.dumpOrNull(["vol-dumpxml", id])) === null) return;
    const users = scan.users.get(state.path) ?? [];
    if (users.length > 0) {
      ctx.log.warn(
        `keeping volume ${state.path}: it is the base of ${users.join(", ")} (deleted once nothing uses it, by whoever deletes last; or by hand)`,
      );
      return;
    }
    await withPoolLock(state.uri, state.pool, () => v.exec(["vol-delete", id]));
  },
};

/** Same kind, format, base and at least the size: what this resource would have made. */
export function sameShape(live: VolumeLive, spec: VolumeSpec): boolean {
  return (
    live.format === spec.format &&
    live.capacity >= spec.capacity &&
    (live.backingPath ?? "") === (spec.backing?.path ?? "")
  );
}

/** What vol-create makes for an overlay (on `base`) or an empty volume. */
function volumeSpec(news: VolumeInputs, base: VolumeLive | undefined): VolumeSpec {
  const name = news.name as string;
  if (base)
    return {
      name,
      capacity: news.size ?? base.capacity,
      format: "qcow2",
      backing: { path: base.path, format: base.format },
    };
  return { name, capacity: news.size as number, format: news.format ?? "qcow2" };
}

async function createVolume(ctx: Context, news: VolumeInputs) {
  const v = virshFor(ctx, news.uri, news.ssh);
  const kind = volumeKind(news);
  if (kind === "upload") return await upload(ctx, v, news);
  const name = news.name as string;
  let base: VolumeLive | undefined;
  if (kind === "overlay") {
    const bpool = news.backingPool ?? news.pool;
    const found = await volumeByName(v, bpool, news.backingVolume as string);
    if (!found) throw new Error(`backingVolume: no volume ${news.backingVolume} in pool ${bpool}`);
    if (found.format !== "qcow2" && found.format !== "raw")
      throw new Error(`backingVolume: ${found.path} is ${found.format}; a base must be qcow2 or raw`);
    base = found;
  }
  const spec = volumeSpec(news, base);
  const existing = await volumeByName(v, news.pool, name);
  if (existing) {
    // Not in the state but there: made by an earlier create of this resource that was
    // interrupted before the engine recorded it (a killed `up`), when it has the same shape.
    if (!sameShape(existing, spec))
      throw new Error(
        `name: a volume ${JSON.stringify(name)} already exists in pool ${news.pool} (${existing.format}, ${existing.capacity} bytes${existing.backingPath ? `, on ${existing.backingPath}` : ""}) and differs from this one: remove it or choose another name`,
      );
    ctx.log.warn(`adopting volume ${existing.path}: left by an interrupted earlier create of this volume`);
    return { id: existing.key, state: toState(news, name, existing, true) };
  }
  await v.withXml("vol-create", volumeXml(spec), [news.pool]);
  const live = await volumeByName(v, news.pool, name);
  if (!live) throw new Error(`volume ${name} vanished right after it was created`);
  return { id: live.key, state: toState(news, name, live, true) };
}

async function upload(ctx: Context, v: Virsh, news: VolumeInputs) {
  const source = news.source as string;
  const name = news.name ?? digestVolumeName(await sha256File(source), source);
  const bytes = statSync(source).size;
  const existing = await volumeByName(v, news.pool, name);
  if (existing) {
    // Content-addressed: same name, same content. A short one is an interrupted upload, which
    // nothing can be using (a guest needs the whole image): it is uploaded again.
    if (existing.physical === bytes) {
      ctx.log.info(`volume ${name} already in pool ${news.pool}: not uploading again`);
      return { id: existing.key, state: toState(news, name, existing, false) };
    }
    ctx.log.warn(
      `volume ${name} holds ${existing.physical} of ${bytes} bytes (an interrupted upload): uploading it again`,
    );
    await v.exec(["vol-delete", name, "--pool", news.pool]);
  }
  // A raw volume of the file's byte size, then its bytes; libvirt probes the format (qcow2).
  await v.withXml("vol-create", volumeXml({ name, capacity: bytes, format: "raw" }), [news.pool]);
  try {
    ctx.log.status(`uploading ${source} (${bytes} bytes) to ${news.pool}/${name}`);
    await v.exec(["vol-upload", name, source, "--pool", news.pool]);
    await v.exec(["pool-refresh", news.pool]);
    const live = await volumeByName(v, news.pool, name);
    if (!live) throw new Error(`volume ${name} vanished right after upload`);
    return { id: live.key, state: toState(news, name, live, true) };
  } catch (err) {
    await v.attempt(["vol-delete", name, "--pool", news.pool]);
    throw err;
  }
}

/** Requests share a batch when they go to the same pool over the same connection (URI and ssh key). */
const batchKey = (r: { uri: string; pool: string; ssh?: unknown }): string =>
  JSON.stringify([
    r.uri,
    r.pool,
    r.ssh === undefined ? "" : createHash("sha256").update(stable(r.ssh)).digest("hex"),
  ]);

/**
 * Reads of one pool's volumes that arrive together (a refresh reads every resource side by side)
 * share one pool-refresh and one virsh process for all their vol-dumpxml. The refresh comes first:
 * the pool's cached view may predate an out-of-band change of its directory. A volume whose XML
 * did not come back is asked for on its own, which tells "gone" (null) from any other error.
 */
const reads = new Gatherer<{ ctx: Context; id: string; state: VolumeState }, string | null>(
  15,
  async (_key, reqs) => {
    const first = reqs[0] as { ctx: Context; state: VolumeState };
    const { uri, pool } = first.state;
    const v = virshFor(first.ctx, uri, first.state.ssh);
    const outs = await withPoolLock(uri, pool, () =>
      virshEach(v, [["pool-refresh", pool], ...reqs.map((r) => ["vol-dumpxml", r.id])]),
    );
    return reqs.map(async (r, i) => outs[i + 1] ?? (await v.dumpOrNull(["vol-dumpxml", r.id])));
  },
);

type Made = { id: string; state: VolumeState };

/**
 * Overlays and empty volumes of one pool created together (a lab's guests' disks) are made in
 * two virsh processes whatever their number, under the pool's lock: one reading the bases and
 * checking which names exist, one creating the volumes and reading each back. Anything unusual
 * (a base that is missing, a name that exists, a volume that did not come back) goes through the
 * one-volume path, which reports it as before.
 */
const creates = new Gatherer<{ ctx: Context; news: VolumeInputs }, Made>(15, async (_key, reqs) => {
  const first = reqs[0] as { ctx: Context; news: VolumeInputs };
  const { uri, pool } = first.news;
  return await withPoolLock(uri, pool, async () => {
    const v = virshFor(first.ctx, uri, first.news.ssh);
    const bases = [
      ...new Set(
        reqs
          .filter((r) => r.news.backingVolume !== undefined)
          .map((r) => JSON.stringify([r.news.backingPool ?? pool, r.news.backingVolume])),
      ),
    ];
    const looked = await virshEach(v, [
      ...bases.map((b) => {
        const [bpool, bname] = JSON.parse(b) as [string, string];
        return ["vol-dumpxml", "--pool", bpool, bname];
      }),
      ...reqs.map((r) => ["vol-dumpxml", "--pool", pool, r.news.name as string]),
    ]);
    const baseLive = new Map(
      bases.map((b, i) => [b, looked[i] ? parseVolumeXml(looked[i] as string) : null]),
    );
    const plans = reqs.map((r, i) => {
      if (looked[bases.length + i] !== null) return undefined; // exists: adopt or refuse, alone
      const base =
        r.news.backingVolume !== undefined
          ? baseLive.get(JSON.stringify([r.news.backingPool ?? pool, r.news.backingVolume]))
          : undefined;
      if (r.news.backingVolume !== undefined && (!base || (base.format !== "qcow2" && base.format !== "raw")))
        return undefined; // reported alone
      return volumeSpec(r.news, base ?? undefined);
    });
    const dir = mkdtempSync(path.join(tmpdir(), "nixlab-virsh-"));
    let made: (string | null)[] = [];
    try {
      const batch = plans.flatMap((spec, i) => {
        if (!spec) return [];
        const file = path.join(dir, `volume-${i}.xml`);
        writeFileSync(file, volumeXml(spec), { mode: 0o600 });
        return [{ i, spec, file }];
      });
      const outs = await virshEach(
        v,
        batch.flatMap((b) => [
          ["vol-create", pool, b.file],
          ["vol-dumpxml", "--pool", pool, b.spec.name],
        ]),
      );
      made = reqs.map(() => null);
      batch.forEach((b, k) => {
        made[b.i] = outs[2 * k + 1] ?? null;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const results: Promise<Made>[] = [];
    for (const [i, r] of reqs.entries()) {
      const spec = plans[i];
      const xml = made[i];
      const live = xml ? parseVolumeXml(xml) : undefined;
      if (spec && live && sameShape(live, spec)) {
        results.push(Promise.resolve({ id: live.key, state: toState(r.news, spec.name, live, true) }));
        continue;
      }
      // One at a time, still under the pool's lock.
      const alone = createVolume(r.ctx, r.news);
      await alone.catch(() => undefined);
      results.push(alone);
    }
    return results;
  });
});
