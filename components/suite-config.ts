// The test suite a guest runs (`suite` of a guest in the stack config, and `suite` of the nixlab
// spec). Which options each suite takes, and the rules between them, are nix/lib/suites.nix's
// alone: a guest's suite is checked by that table (components/spec.ts runs it) before any
// resource exists. What is TypeScript's: the settings derived from the guest's drives and storage.
//
// Option names: UPPER_CASE ones are the suite's own variables, written as they are into its
// configuration; camelCase ones are nixlab's (what to run, where, in which role).
import * as z from "zod";
import type { SuiteName } from "../suite-results/types";
import { suiteProblems } from "./spec";
import { ConfigError, issuePath } from "./validate";

type Options = Record<string, string | number | boolean>;

/** A suite as the TypeScript side reads it; nix/lib/suites.nix says what each may hold. */
export interface GuestSuite {
  name: SuiteName;
  section?: string | null | undefined;
  options: Options;
}
export type SpecSuite = GuestSuite;

const has = (o: Options, k: string): boolean => o[k] !== undefined;

/**
 * A guest's `suite` in the stack config: its name, section and options checked by name and kind;
 * the options a suite requires may come from the guest's drives and storage (see `specSuite`).
 */
export const guestSuite = z
  .unknown()
  .superRefine((suite, ctx) => {
    for (const p of suiteProblems(suite, false))
      ctx.addIssue({ code: "custom", path: p.path, message: p.message });
  })
  .transform((suite) => {
    const s = suite as Partial<GuestSuite>;
    return { ...s, options: s.options ?? {} } as GuestSuite;
  });

/** What `specSuite` needs to know of a guest. */
export interface SuiteGuest {
  suite?: GuestSuite | undefined;
  drives: { name: string; bus: string; serial?: string | undefined }[];
}

/** A drive's stable device path, where udev's name for it is known: virtio disks by serial. */
export function driveDevice(d: SuiteGuest["drives"][number]): string | undefined {
  return d.bus === "virtio" ? `/dev/disk/by-id/virtio-${d.serial ?? d.name}` : undefined;
}

interface StorageEntry {
  device?: unknown;
  fsType?: unknown;
  options?: unknown;
  mkfsArgs?: unknown;
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

/**
 * fstests' defaults from the guest: the test device is the storage entry at TEST_DIR
 * (/media/test if the spec has it, else its only storage entry), with its file system type, mkfs
 * arguments and mount options; the scratch device is the virtio drive named "scratch", mounted at
 * /media/scratch. Options the stack sets win.
 */
function fstestsDefaults(
  given: Options,
  drives: SuiteGuest["drives"],
  storage: Record<string, StorageEntry>,
) {
  const o: Options = { ...given };
  const mountPoints = Object.keys(storage);
  const testDir =
    typeof o.TEST_DIR === "string"
      ? o.TEST_DIR
      : "/media/test" in storage
        ? "/media/test"
        : mountPoints.length === 1
          ? mountPoints[0]
          : undefined;
  const entry = testDir !== undefined ? storage[testDir] : undefined;
  if (entry) {
    o.TEST_DIR ??= testDir as string;
    if (typeof entry.device === "string") o.TEST_DEV ??= entry.device;
    if (typeof entry.fsType === "string") o.FSTYP ??= entry.fsType;
    const mkfs = strings(entry.mkfsArgs);
    if (mkfs.length > 0) o.MKFS_OPTIONS ??= mkfs.join(" ");
    const mount = strings(entry.options).filter((x) => x !== "defaults");
    if (mount.length > 0) o.MOUNT_OPTIONS ??= `-o ${mount.join(",")}`;
  }
  if (!has(o, "SCRATCH_DEV") && !has(o, "SCRATCH_DEV_POOL")) {
    const scratch = drives.find((d) => d.name === "scratch");
    const device = scratch ? driveDevice(scratch) : undefined;
    if (device) o.SCRATCH_DEV = device;
  }
  if ((has(o, "SCRATCH_DEV") || has(o, "SCRATCH_DEV_POOL")) && !has(o, "SCRATCH_MNT")) {
    o.SCRATCH_MNT = "/media/scratch";
  }
  return o;
}

/**
 * The spec's `suite` for a spec-built guest: the guest's suite with the options it leaves out
 * derived from its drives and its spec's storage, checked as nix/lib/spec.nix will. Problems are
 * reported as `<where>.<path>: <message>` (where = e.g. "nixlab:lab.guests[0].suite").
 */
export function specSuite(
  guest: SuiteGuest,
  storage: Record<string, StorageEntry> | undefined,
  where: string,
): SpecSuite | undefined {
  const s = guest.suite;
  if (!s) return undefined;
  const options =
    s.name === "fstests" ? fstestsDefaults(s.options, guest.drives, storage ?? {}) : { ...s.options };
  const suite: SpecSuite = { name: s.name, section: s.section ?? null, options };
  const problems = suiteProblems(suite, true);
  if (problems.length === 0) return suite;
  throw new ConfigError(
    where,
    problems.map((p) => `${issuePath(where, p.path)}: ${p.message}`),
  );
}

/** Suite settings only reach spec-built guests: for a flake or the demo fixture they are an error. */
export function rejectSuiteSettings(guest: SuiteGuest, where: string): void {
  const s = guest.suite;
  if (!s) return;
  const problems = [
    ...(s.section != null ? [`${where}.section`] : []),
    ...(Object.keys(s.options).length > 0 ? [`${where}.options`] : []),
  ].map(
    (p) =>
      `${p}: suite settings are generated into spec-built guests only (closure.spec); configure a flake's suite in the flake`,
  );
  if (problems.length > 0) throw new ConfigError(where, problems);
}
