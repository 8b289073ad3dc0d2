// The test suite a guest runs (`suite` of a guest in the stack config, and `suite` of the nixlab
// spec): which options each suite takes, checked in zod before any resource exists, and the
// settings derived from the guest's drives and storage. nix/lib/suites.nix holds the same tables
// and renders the files (fstests' local.config, blktests' config, /etc/nixlab/suite.json, the
// nixlab-run-suite script); keep the two in step.
//
// Option names: UPPER_CASE ones are the suite's own variables, written as they are into its
// configuration; camelCase ones are nixlab's (what to run, where, in which role).
import * as z from "zod";
import { ConfigError, issuePath } from "./validate";

export const testSuites = ["fstests", "blktests", "selftests", "nfstest", "pynfs", "ltp", "mmtests"] as const;
export type TestSuite = (typeof testSuites)[number];

const wordChars = "[A-Za-z0-9_.:+@,=/-]";
const re = (source: string) => new RegExp(`^(?:${source})$`);

/** A value kind: the same regular expressions and descriptions as nix/lib/suites.nix. */
interface Kind {
  describe: string;
  schema: z.ZodType;
}
const text = (source: string, describe: string): Kind => ({
  describe,
  schema: z.string().regex(re(source), `must be ${describe}`),
});
const kinds = {
  path: text(`/${wordChars}*`, "an absolute path of letters, digits and _.:+@,=/-"),
  paths: text(`/${wordChars}*( +/${wordChars}*)*`, "absolute paths separated by spaces"),
  words: text(
    `${wordChars}+( +${wordChars}+)*`,
    "words of letters, digits and _.:+@,=/- separated by spaces",
  ),
  configText: text(`[^"'#$\`\\\\\\n]*`, "text without quotes, #, $, `, \\ or line breaks"),
  fsType: text("[a-z0-9][a-z0-9._]*", 'a file system type such as "xfs" or "ext4"'),
  host: text("[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?", "a host name or address"),
  name: text("[a-z]+", "a name of lower-case letters"),
  runName: text("[A-Za-z0-9_.-]+", "a name of letters, digits and _.-"),
  relativePath: {
    describe: 'a relative path inside the checkout, without ".."',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_./-]*$/, 'must be a relative path inside the checkout, without ".."')
      .refine(
        (p) => !p.split("/").includes(".."),
        'must be a relative path inside the checkout, without ".."',
      ),
  },
  bool: { describe: "a boolean", schema: z.boolean({ error: "must be a boolean" }) },
  positiveInt: {
    describe: "a positive whole number",
    schema: z.number({ error: "must be a positive whole number" }).int().positive(),
  },
  role: { describe: 'one of "server", "client"', schema: z.enum(["server", "client"]) },
  nfsVersion: { describe: 'one of "4.0", "4.1"', schema: z.enum(["4.0", "4.1"]) },
} satisfies Record<string, Kind>;

type Options = Record<string, string | number | boolean>;
interface SuiteTable {
  hasSection: boolean;
  /** Option name -> kind, in the order the suite's configuration lists them. */
  options: Record<string, Kind>;
  /** Problems between options ("KEY: message"), on the options as given. */
  rules: (o: Options) => string[];
}

const has = (o: Options, k: string): boolean => o[k] !== undefined;

/** Per suite: the options nix/README.md lists ("Test suites"). */
export const suiteTables: Record<TestSuite, SuiteTable> = {
  fstests: {
    hasSection: true,
    options: {
      FSTYP: kinds.fsType,
      TEST_DEV: kinds.path,
      TEST_DIR: kinds.path,
      SCRATCH_DEV: kinds.path,
      SCRATCH_MNT: kinds.path,
      SCRATCH_DEV_POOL: kinds.paths,
      LOGWRITES_DEV: kinds.path,
      MKFS_OPTIONS: kinds.configText,
      MOUNT_OPTIONS: kinds.configText,
      TEST_FS_MOUNT_OPTS: kinds.configText,
      tests: kinds.words,
    },
    rules: (o) => [
      ...(has(o, "TEST_DEV") ? [] : ["TEST_DEV: required (the device fstests keeps mounted at TEST_DIR)"]),
      ...(has(o, "TEST_DIR") ? [] : ["TEST_DIR: required (where TEST_DEV is mounted)"]),
      ...((has(o, "SCRATCH_DEV") || has(o, "SCRATCH_DEV_POOL")) && !has(o, "SCRATCH_MNT")
        ? ["SCRATCH_MNT: required with SCRATCH_DEV or SCRATCH_DEV_POOL"]
        : []),
      ...(has(o, "SCRATCH_DEV") && has(o, "SCRATCH_DEV_POOL")
        ? ["SCRATCH_DEV_POOL: fstests takes SCRATCH_DEV from the pool; leave SCRATCH_DEV out"]
        : []),
    ],
  },
  blktests: {
    hasSection: false,
    options: {
      TEST_DEVS: kinds.paths,
      EXCLUDE: kinds.words,
      DEVICE_ONLY: kinds.bool,
      QUICK_RUN: kinds.bool,
      TIMEOUT: kinds.positiveInt,
      tests: kinds.words,
    },
    rules: (o) => [
      ...(o.QUICK_RUN === true && !has(o, "TIMEOUT") ? ["TIMEOUT: required with QUICK_RUN"] : []),
      ...(o.DEVICE_ONLY === true && !has(o, "TEST_DEVS") ? ["TEST_DEVS: required with DEVICE_ONLY"] : []),
    ],
  },
  selftests: {
    hasSection: false,
    options: { TARGETS: kinds.words, kernelTree: kinds.path },
    rules: () => [],
  },
  nfstest: {
    hasSection: false,
    options: { role: kinds.role, server: kinds.host, export: kinds.path, test: kinds.name },
    rules: (o) =>
      (o.role ?? "client") === "client"
        ? has(o, "server")
          ? []
          : ["server: required for the client role (the NFS server's host name)"]
        : [
            ...(has(o, "server") ? ["server: only for the client role"] : []),
            ...(has(o, "test") ? ["test: only for the client role"] : []),
          ],
  },
  pynfs: {
    hasSection: false,
    options: { server: kinds.host, export: kinds.path, version: kinds.nfsVersion, tests: kinds.words },
    rules: (o) => (has(o, "server") ? [] : ["server: required (the NFS server under test)"]),
  },
  ltp: {
    hasSection: false,
    options: { tests: kinds.words, workers: kinds.positiveInt },
    rules: () => [],
  },
  mmtests: {
    hasSection: false,
    options: { config: kinds.relativePath, runName: kinds.runName, monitor: kinds.bool },
    rules: (o) =>
      has(o, "config")
        ? []
        : ["config: required (an mmtests configuration, e.g. configs/config-workload-stream)"],
  },
};

const optionValue = z.union([z.string(), z.number(), z.boolean()]);
const sectionName = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, "must be a section name of letters, digits, _ and -");

interface Problem {
  path: (string | number)[];
  message: string;
}

/** Unknown options, bad values, and (with `rules`) the rules between options. */
function optionProblems(name: TestSuite, options: Options, rules: boolean): Problem[] {
  const table = suiteTables[name];
  const known = Object.keys(table.options);
  const problems: Problem[] = [];
  for (const key of Object.keys(options)) {
    const kind = table.options[key];
    if (!kind) {
      problems.push({
        path: ["options", key],
        message: `${name} has no option ${JSON.stringify(key)} (known: ${known.join(", ")})`,
      });
      continue;
    }
    const r = kind.schema.safeParse(options[key]);
    if (!r.success) problems.push({ path: ["options", key], message: `must be ${kind.describe}` });
  }
  if (rules && problems.length === 0) {
    for (const rule of table.rules(options)) {
      const [key, ...rest] = rule.split(": ");
      problems.push({ path: ["options", key as string], message: rest.join(": ") });
    }
  }
  return problems;
}

function suiteShape(withRules: boolean) {
  return z
    .object({
      name: z.enum(testSuites),
      section: sectionName.nullable().optional(),
      options: z.record(z.string(), optionValue).default({}),
    })
    .strict()
    .superRefine((s, ctx) => {
      if (s.section != null && !suiteTables[s.name].hasSection) {
        ctx.addIssue({ code: "custom", path: ["section"], message: "only fstests has sections" });
      }
      for (const p of optionProblems(s.name, s.options, withRules)) {
        ctx.addIssue({ code: "custom", path: p.path, message: p.message });
      }
    });
}

/**
 * A guest's `suite` in the stack config. Options are checked by name and kind here; the ones a
 * suite requires may come from the guest's drives and storage (see `specSuite`).
 */
export const guestSuite = suiteShape(false);
export type GuestSuite = z.output<typeof guestSuite>;

/** The spec's `suite` (nix/lib/spec.nix): every required option present. */
export const specSuiteSchema = suiteShape(true);
export type SpecSuite = z.output<typeof specSuiteSchema>;

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
  const r = specSuiteSchema.safeParse({ name: s.name, section: s.section ?? null, options });
  if (r.success) return r.data;
  throw new ConfigError(
    where,
    r.error.issues.map((i) => `${issuePath(where, i.path)}: ${i.message}`),
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
