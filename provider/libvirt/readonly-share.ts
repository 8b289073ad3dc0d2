// Read-only virtiofs shares on a libvirt host (this machine, or one reached over SSH). libvirt 9 with the C virtiofsd refuses
// `<readonly/>` for virtiofs, and a guest that mounts a share read-only itself can remount it
// read-write (guest root runs an experimental kernel). So the host enforces it: the share's
// source becomes a read-only bind mount of the folder, and virtiofsd serves that; a write from
// the guest fails with EROFS whatever the guest does. One mount per source folder, shared by
// the domains that use it, removed when the last of them is deleted. The mounts are made on the
// libvirt host: here, or over SSH (MountHost) for a qemu+ssh:// host.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmdirSync } from "node:fs";
import * as path from "node:path";
import { CommandError, type Runner, runChecked } from "../exec";

/** Where the read-only views live (NIXLAB_RO_SHARE_DIR overrides, e.g. for tests). */
export const readOnlyRoot = (env: NodeJS.ProcessEnv = process.env): string =>
  env.NIXLAB_RO_SHARE_DIR ?? "/run/nixlab/ro-shares";

/** The read-only view of `source`: a fixed path per folder, so the domain XML is a pure function. */
export function readOnlyView(source: string, root: string = readOnlyRoot()): string {
  const id = createHash("sha256").update(path.resolve(source)).digest("hex").slice(0, 16);
  return path.join(root, `${id}-${path.basename(source) || "root"}`);
}

/** Mount points (decoded) and their per-mount options, from /proc/self/mountinfo text. */
export function parseMountInfo(text: string): Map<string, string[]> {
  const mounts = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f.length < 6 || f[4] === undefined || f[5] === undefined) continue;
    // mountinfo escapes space, tab, newline and backslash as \ooo.
    const point = f[4].replace(/\\([0-7]{3})/g, (_m, o: string) =>
      String.fromCharCode(Number.parseInt(o, 8)),
    );
    mounts.set(point, f[5].split(","));
  }
  return mounts;
}

const mountsNow = (): Map<string, string[]> => parseMountInfo(readFileSync("/proc/self/mountinfo", "utf8"));

/** The machine the views are made on: commands, its mount table, folders. */
export interface MountHost {
  run: Runner;
  mounts(): Promise<Map<string, string[]>>;
  mkdir(dir: string): Promise<void>;
  /** Remove an empty folder; nothing when it is gone or not empty. */
  rmdir(dir: string): Promise<void>;
}

/** This machine. */
export function localMountHost(run: Runner): MountHost {
  return {
    run,
    mounts: async () => mountsNow(),
    mkdir: async (dir) => {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
    },
    rmdir: async (dir) => {
      try {
        rmdirSync(dir);
      } catch {
        // already gone, or not empty (not ours to remove)
      }
    },
  };
}

/** A host whose commands `run` executes there (an ssh runner). */
export function remoteMountHost(run: Runner): MountHost {
  return {
    run,
    mounts: async () => parseMountInfo((await runChecked(run, "cat", ["/proc/self/mountinfo"])).stdout),
    mkdir: async (dir) => {
      await runChecked(run, "mkdir", ["-p", "-m", "0755", dir]);
    },
    rmdir: async (dir) => {
      await run("rmdir", [dir]);
    },
  };
}

/** Is `view` mounted read-only right now? */
export function isReadOnlyMount(view: string): boolean {
  return mountsNow().get(view)?.includes("ro") ?? false;
}

/** Make sure the read-only view of `source` is mounted; returns its path. */
export async function ensureReadOnlyView(host: MountHost, source: string): Promise<string> {
  const { run } = host;
  const view = readOnlyView(source);
  const opts = (await host.mounts()).get(view);
  if (opts?.includes("ro")) return view;
  if (opts) await runChecked(run, "umount", [view]); // a stale read-write mount: never serve that
  await host.mkdir(view);
  // util-linux turns `bind,ro` into a bind and a read-only remount of it.
  await runChecked(run, "mount", ["--bind", "-o", "ro", source, view]);
  if (!(await host.mounts()).get(view)?.includes("ro")) {
    await run("umount", [view]);
    throw new Error(`could not make a read-only view of ${source} at ${view}`);
  }
  return view;
}

let viewQueue: Promise<unknown> = Promise.resolve();

/**
 * One view operation at a time in this process (domains are created and deleted in parallel):
 * a create mounts its views and defines its domain under the lock, a release decides what is
 * unused under it, so a release never unmounts a view whose domain is about to be defined.
 */
export function withViewLock<T>(fn: () => Promise<T>): Promise<T> {
  const turn = viewQueue.then(fn, fn);
  viewQueue = turn.catch(() => undefined);
  return turn;
}

/** Unmount and remove views that no domain uses any more (`inUse`: sources of defined domains). */
export async function releaseReadOnlyViews(
  host: MountHost,
  views: readonly string[],
  inUse: ReadonlySet<string>,
): Promise<void> {
  const mounted = await host.mounts();
  for (const view of views) {
    if (inUse.has(view)) continue;
    if (mounted.has(view)) {
      const r = await host.run("umount", [view]);
      // Unmounted meanwhile (another process releasing it too) is what was wanted.
      if (r.exitCode !== 0 && !/not mounted/.test(r.stderr)) throw new CommandError("umount", [view], r);
    }
    await host.rmdir(view);
  }
}
