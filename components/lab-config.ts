// The stack configuration of a nixlab Lab (Pulumi config key `nixlab:lab`), validated before any
// resource is registered. One guest entry per test section, as kdevops lays out its hosts.
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import { checkHosts, labHost, labNetwork } from "./hosts-config";
import { libvirtUri } from "./libvirt-uri";
import { imagelessOwnTags, kernelParam, nixlabSpec, sshPublicKey, virtiofsTag } from "./spec";
import { stackObjectName, stackPool } from "./stack-names";
import { guestSuite } from "./suite-config";
import { suiteRunConfig, suiteRunDefaults } from "./suite-run-config";
import { ConfigError, issueMessage } from "./validate";

const name = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,50}[a-z0-9])?$/, "must be lower-case letters, digits and dashes");
const absolute = z.string().regex(/^\//, "must be an absolute path");
const size = z.union([
  z.number().int().positive(),
  z.string().regex(/^[0-9]+[KMGT]?$/, 'must be bytes or a size such as "20G"'),
]);

export const drive = z
  .object({
    name,
    size,
    format: z.enum(["qcow2", "raw"]).default("qcow2"),
    bus: z.enum(["virtio", "nvme", "sata", "scsi"]).default("virtio"),
    serial: z
      .string()
      .regex(/^[A-Za-z0-9_.+-]{1,20}$/, "must be 1-20 of A-Z a-z 0-9 _ . + -")
      .optional(),
  })
  .strict();

const flakeClosure = z
  .object({
    flake: z.string().min(1, "must name a flake"),
    attribute: z.string().min(1, "must name an attribute"),
    overrideInputs: z.record(z.string(), z.string()).default({}),
    extraArgs: z.array(z.string()).default([]),
  })
  .strict();

/** The spec without `backend`, which comes from the guest. */
const specClosure = z.object({ spec: z.record(z.string(), z.unknown()) }).strict();

/** The busybox demo fixture of examples/demo-closure: a smoke test, not NixOS. */
const demoClosure = z.object({ demoFixture: z.literal(true) }).strict();

const kernel = z.union([
  z.object({ bzImage: absolute, modulesDir: absolute }).strict(),
  z.object({ flake: z.string().min(1), attribute: z.string().min(1) }).strict(),
  z.object({ hostCache: z.literal(true) }).strict(),
]);

/** Does this guest entry put volumes in the lab's pool? */
export const needsPool = (g: { backend: string; drives: unknown[] }): boolean =>
  g.backend === "libvirt" || g.drives.length > 0;

type Ctx = z.core.$RefinementCtx<unknown>;

/** shares and extraKernelParams exist only for imageless guests; share tags must meet the system's. */
function checkBackendFields(
  g: {
    backend: "imageless" | "libvirt";
    shares: Record<string, string>;
    extraKernelParams: string[];
    closure: object;
  },
  ctx: Ctx,
): void {
  const specShares =
    "spec" in g.closure
      ? ((g.closure.spec as { shares?: unknown }).shares as Record<string, { tag?: unknown }> | undefined)
      : undefined;
  if (g.backend === "libvirt") {
    for (const key of ["shares", "extraKernelParams"] as const)
      if (Object.keys(g[key]).length > 0)
        ctx.addIssue({ code: "custom", path: [key], message: "only applies to imageless guests" });
    if (specShares && Object.keys(specShares).length > 0)
      ctx.addIssue({
        code: "custom",
        path: ["closure", "spec", "shares"],
        message: "only applies to imageless guests (libvirt guests get no virtiofs shares)",
      });
    return;
  }
  for (const tag of Object.keys(g.shares))
    if (imagelessOwnTags().includes(tag))
      ctx.addIssue({
        code: "custom",
        path: ["shares", tag],
        message: `${tag} is the imageless backend's own share`,
      });
  if ("demoFixture" in g.closure && Object.keys(g.shares).length > 0)
    ctx.addIssue({ code: "custom", path: ["shares"], message: "the demo fixture mounts no shares" });
  if (!specShares || typeof specShares !== "object") return;
  // A spec's tags are known before the build: each needs a host folder, and each folder a tag.
  const wanted = new Map(
    Object.entries(specShares)
      .map(([mp, s]) => [String(s?.tag), mp] as const)
      .filter(([tag]) => virtiofsTag.safeParse(tag).success),
  );
  for (const [tag, mp] of wanted)
    if (!(tag in g.shares) && !imagelessOwnTags().includes(tag))
      ctx.addIssue({
        code: "custom",
        path: ["shares"],
        message: `has no host folder for tag ${tag} (closure.spec.shares[${JSON.stringify(mp)}])`,
      });
  for (const tag of Object.keys(g.shares))
    if (!wanted.has(tag))
      ctx.addIssue({
        code: "custom",
        path: ["shares", tag],
        message: "no mount in closure.spec.shares uses this tag",
      });
}

/** Drive names make volume names and serials make /dev/disk/by-id names: both unique per guest. */
function checkDrives(drives: { name: string; serial?: string | undefined }[], ctx: Ctx): void {
  const seen = new Map<string, number>();
  drives.forEach((d, i) => {
    for (const [key, value] of [
      ["name", d.name],
      ["serial", d.serial ?? d.name],
    ] as const) {
      const k = `${key}:${value}`;
      const first = seen.get(k);
      if (first !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["drives", i, key],
          message: `${value} is already drives[${first}]'s ${key}`,
        });
      else seen.set(k, i);
    }
  });
}

export const guest = z
  .object({
    name,
    /** More than one: guests <name>-1 … <name>-N with the same settings. */
    count: z.number().int().min(1).max(64).default(1),
    backend: z.enum(["imageless", "libvirt"]),
    vcpus: z.number().int().min(1).max(256).default(2),
    memoryMiB: z.number().int().min(128, "must be at least 128").default(2048),
    closure: z.union([flakeClosure, specClosure, demoClosure], {
      error: "must be one of { flake, attribute }, { spec } or { demoFixture: true }",
    }),
    /** imageless only: the kernel to boot (default: the host's cached test kernel). */
    kernel: kernel.optional(),
    /** libvirt only: root overlay size. */
    diskSize: size.optional(),
    drives: z.array(drive).default([]),
    /** imageless: host folders for the system's virtiofs tags (mounts.shares), by tag. */
    shares: z.record(virtiofsTag, absolute).default({}),
    /** imageless only: appended to the closure's kernel command line. */
    extraKernelParams: z.array(kernelParam).default([]),
    /** The test suite this guest runs, and the section (fstests) or options it runs with. */
    suite: guestSuite.optional(),
    /** The host (of `hosts`) this guest runs on; default: placed where there is room. */
    host: name.optional(),
  })
  .strict()
  .superRefine((g, ctx) => {
    if (g.backend === "libvirt" && g.kernel) {
      ctx.addIssue({
        code: "custom",
        path: ["kernel"],
        message: "only applies to imageless guests (libvirt guests boot their image's kernel)",
      });
    }
    if (g.backend === "imageless" && g.diskSize !== undefined) {
      ctx.addIssue({ code: "custom", path: ["diskSize"], message: "only applies to libvirt guests" });
    }
    checkBackendFields(g, ctx);
    checkDrives(g.drives, ctx);
    if ("demoFixture" in g.closure && g.backend !== "imageless") {
      ctx.addIssue({ code: "custom", path: ["closure"], message: "the demo fixture is an imageless system" });
    }
    if ("spec" in g.closure) {
      const r = nixlabSpec.safeParse({ ...g.closure.spec, backend: g.backend });
      for (const issue of r.success ? [] : r.error.issues) {
        ctx.addIssue({
          code: "custom",
          path: ["closure", "spec", ...issue.path],
          message: issueMessage(issue),
        });
      }
    }
  });

export const labConfig = z
  .object({
    uri: libvirtUri.default("qemu:///system"),
    /**
     * For libvirt guests' disks and every guest's drives. Default: nixlab-<stack> in
     * /var/lib/nixlab/pools/<stack>, made by this stack; `existing: true` adopts a pool by name.
     */
    pool: z
      .object({ name: name.optional(), path: absolute.optional(), existing: z.boolean().default(false) })
      .strict()
      .superRefine((p, ctx) => {
        if (p.existing && p.name === undefined)
          ctx.addIssue({ code: "custom", path: ["name"], message: "is required to adopt an existing pool" });
        if (p.existing && p.path !== undefined)
          ctx.addIssue({ code: "custom", path: ["path"], message: "cannot be set for an existing pool" });
      })
      .optional(),
    /** Default: libvirt's `default` network; with `address`, a NAT network nixlab-<stack> this stack makes. */
    network: labNetwork.default({}),
    /** The machines the guests run on (default: the one `uri` names), each with its capacity. */
    hosts: z.array(labHost).min(1, "must list at least one host (or leave hosts out)").optional(),
    /** The nixlab flake spec guests are built with (default: this repository's nix/). */
    nixlab: z.string().optional(),
    nixpkgs: z.string().optional(),
    /** Added to every spec guest's root authorized keys (and the demo guest's). */
    sshKeys: z.array(sshPublicKey).default([]),
    guests: z.array(guest).min(1, "must list at least one guest"),
    /** Running the guests' suites (components/suite-run-config.ts). */
    suiteRun: suiteRunConfig.default(suiteRunDefaults),
  })
  .strict()
  .superRefine((lab, ctx) => {
    const names = lab.guests.flatMap((g) =>
      g.count === 1 ? [g.name] : Array.from({ length: g.count }, (_, i) => `${g.name}-${i + 1}`),
    );
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i)
        ctx.addIssue({ code: "custom", path: ["guests"], message: `guest name ${n} is used twice` });
    });
    // Keys that only some guests use: set with none of those guests, they would be ignored.
    const specGuests = lab.guests.some((g) => "spec" in g.closure);
    for (const key of ["nixlab", "nixpkgs"] as const)
      if (lab[key] !== undefined && !specGuests)
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: "only applies to guests with a { spec } closure",
        });
    // The demo guest's SSH server takes them too (on its kernel command line).
    if (lab.sshKeys.length > 0 && !specGuests && !lab.guests.some((g) => "demoFixture" in g.closure))
      ctx.addIssue({
        code: "custom",
        path: ["sshKeys"],
        message: "only applies to guests with a { spec } closure or the demo fixture",
      });
    if (lab.pool !== undefined && !lab.guests.some(needsPool))
      ctx.addIssue({
        code: "custom",
        path: ["pool"],
        message: "no guest uses a pool (libvirt guests and guests with drives do)",
      });
    const hosts = lab.hosts ?? [];
    checkHosts(hosts, (path, message) => ctx.addIssue({ code: "custom", path, message }));
    lab.guests.forEach((g, i) => {
      if (g.host === undefined) return;
      if (lab.hosts === undefined)
        ctx.addIssue({ code: "custom", path: ["guests", i, "host"], message: "only applies with hosts" });
      else if (!hosts.some((h) => h.name === g.host))
        ctx.addIssue({
          code: "custom",
          path: ["guests", i, "host"],
          message: `names no host in hosts (${hosts.map((h) => h.name).join(", ")})`,
        });
    });
  })
  // Per-stack names (stack-names.ts), so that two stacks on one host never share a pool or network.
  .transform((lab) => {
    const stack = pulumi.getStack();
    const pool = lab.pool?.existing
      ? { name: lab.pool.name as string, path: "", existing: true }
      : { ...stackPool(stack), ...lab.pool, existing: false };
    const named = <N extends { name?: string | undefined; address?: string | undefined }>(n: N) => ({
      ...n,
      name: n.name ?? (n.address ? stackObjectName(stack) : "default"),
    });
    const hosts = lab.hosts?.map((h) => ({ ...h, network: h.network ? named(h.network) : undefined }));
    return { ...lab, pool, network: named(lab.network), hosts };
  });

export type LabConfig = z.output<typeof labConfig>;
export type GuestConfig = z.output<typeof guest>;

/**
 * The `nixlab:lab` stack setting as the engine hands it over (JSON text), parsed without
 * quoting it back: Pulumi's own requireObject echoes a bad value, which could hold a key.
 */
export function labConfigValue(raw: string | undefined): unknown {
  const where = "nixlab:lab";
  if (raw === undefined)
    throw new ConfigError(where, [
      `${where}: is not set: describe the lab under config: nixlab:lab in stacks/Pulumi.<stack>.yaml (start from one of stack-templates/)`,
    ]);
  try {
    return JSON.parse(raw);
  } catch {
    throw new ConfigError(where, [`${where}: must be an object with guests (and uri, pool, network, ...)`]);
  }
}
