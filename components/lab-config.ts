// The stack configuration of a nixlab Lab (Pulumi config key `nixlab:lab`), validated before any
// resource is registered. One guest entry per test section, as kdevops lays out its hosts.
import * as z from "zod";
import { nixlabSpec, testSuites } from "./spec";
import { suiteRunConfig, suiteRunDefaults } from "./suite-run-config";

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
    shares: z.record(z.string(), absolute).default({}),
    extraKernelParams: z.array(z.string()).default([]),
    /** The test suite this guest runs, and the section (fstests) or options it runs with. */
    suite: z
      .object({
        name: z.enum(testSuites),
        section: z.string().optional(),
        options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
      })
      .strict()
      .optional(),
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
    if ("demoFixture" in g.closure && g.backend !== "imageless") {
      ctx.addIssue({ code: "custom", path: ["closure"], message: "the demo fixture is an imageless system" });
    }
    if ("spec" in g.closure) {
      const r = nixlabSpec.safeParse({ ...g.closure.spec, backend: g.backend });
      for (const issue of r.success ? [] : r.error.issues) {
        ctx.addIssue({ code: "custom", path: ["closure", "spec", ...issue.path], message: issue.message });
      }
    }
  });

export const labConfig = z
  .object({
    uri: z
      .string()
      .regex(/^[a-z+]+:\/\//, "must be a libvirt URI such as qemu:///system")
      .default("qemu:///system"),
    pool: z
      .object({ name: name.default("nixlab"), path: absolute.default("/var/lib/nixlab/pool") })
      .strict()
      .default({ name: "nixlab", path: "/var/lib/nixlab/pool" }),
    network: z
      .object({
        name: name.default("default"),
        /** Create it (NAT) with this host address/prefix, e.g. 192.168.150.1/24; else use an existing one. */
        address: z
          .string()
          .regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, "must be an IPv4 address/prefix")
          .optional(),
      })
      .strict()
      .default({ name: "default" }),
    /** The nixlab flake spec guests are built with (default: this repository's nix/). */
    nixlab: z.string().optional(),
    nixpkgs: z.string().optional(),
    /** Added to every spec guest's root authorized keys (and the demo guest's). */
    sshKeys: z.array(z.string().min(1)).default([]),
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
  });

export type LabConfig = z.output<typeof labConfig>;
export type GuestConfig = z.output<typeof guest>;
