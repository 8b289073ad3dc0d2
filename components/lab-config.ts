// The stack configuration of a nixlab Lab (Pulumi config key `nixlab:lab`), validated before any
// resource is registered. One guest entry per test section, as kdevops lays out its hosts.
import * as z from "zod";
import { networkInputs } from "../provider/libvirt/network";
import { ipv4 } from "../provider/libvirt/schema";
import { libvirtUri } from "./libvirt-uri";
import { imagelessOwnTags, kernelParam, nixlabSpec, virtiofsTag } from "./spec";
import { sshPublicKey } from "./ssh-public-key";
import { guestSuite } from "./suite-config";
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

const defaultPool = { name: "nixlab", path: "/var/lib/nixlab/pool" };

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
    if ((imagelessOwnTags as readonly string[]).includes(tag))
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
    if (!(tag in g.shares) && !(imagelessOwnTags as readonly string[]).includes(tag))
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
    /** For libvirt guests' disks and every guest's drives (default: nixlab at /var/lib/nixlab/pool). */
    pool: z
      .object({ name: name.default(defaultPool.name), path: absolute.default(defaultPool.path) })
      .strict()
      .optional(),
    network: z
      .object({
        name: name.default("default"),
        /** Create it (NAT) with this host address/prefix, e.g. 192.168.150.1/24; else use an existing one. */
        address: z
          .string()
          .regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, "must be an IPv4 address/prefix")
          .optional(),
        /** The DHCP range of a created network (default: the largest run beside the host address). */
        dhcp: z.object({ start: ipv4, end: ipv4 }).strict().optional(),
      })
      .strict()
      .superRefine((n, ctx) => {
        if (n.dhcp && !n.address)
          ctx.addIssue({
            code: "custom",
            path: ["dhcp"],
            message: "only applies with address (a created network)",
          });
        if (!n.dhcp || !n.address) return;
        // The same rules the Network resource checks, here so that they fail before anything is made.
        const r = networkInputs.safeParse({ name: n.name, address: n.address, dhcp: n.dhcp });
        for (const issue of r.success ? [] : r.error.issues)
          ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
      })
      .default({ name: "default" }),
    /** The nixlab flake spec guests are built with (default: this repository's nix/). */
    nixlab: z.string().optional(),
    nixpkgs: z.string().optional(),
    /** Added to every spec guest's root authorized keys. */
    sshKeys: z.array(sshPublicKey).default([]),
    guests: z.array(guest).min(1, "must list at least one guest"),
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
    if (lab.sshKeys.length > 0 && !specGuests)
      ctx.addIssue({
        code: "custom",
        path: ["sshKeys"],
        message: "only applies to guests with a { spec } closure",
      });
    if (lab.pool !== undefined && !lab.guests.some(needsPool))
      ctx.addIssue({
        code: "custom",
        path: ["pool"],
        message: "no guest uses a pool (libvirt guests and guests with drives do)",
      });
  })
  .transform((lab) => ({ ...lab, pool: lab.pool ?? defaultPool }));

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
