// The JSON spec that nix/lib/mk-system.nix (`lib.mkSystem`) builds a NixOS system from, mirrored
// in zod so that a bad spec fails in the Pulumi program, with its key path, before Nix runs.
// Field by field as nix/README.md documents it; the Nix side validates again.
import * as z from "zod";
import { specSuiteSchema, testSuites } from "./suite-config";

const mountPoint = z
  .string()
  .regex(/^\/[ -~]*$/, "must be an absolute path of printable ASCII")
  .refine((p) => !p.split("/").includes(".."), "must not contain ..");
const nonEmpty = z.string().min(1, "must not be empty");
const unique = <T extends z.ZodType<string>>(item: T) =>
  z.array(item).refine((xs) => new Set(xs).size === xs.length, "must not repeat an entry");

export const profiles = ["devel", "build-tools", "monitoring", "controller"] as const;
export { testSuites };

export const share = z.object({ tag: nonEmpty, options: z.array(nonEmpty).default([]) }).strict();

export const storage = z
  .object({
    device: z.string().regex(/^\//, "must be an absolute path (starting with /)"),
    fsType: z.string().regex(/^[a-z0-9][a-z0-9._]*$/, "must be a file system type such as xfs"),
    options: z.array(nonEmpty).default([]),
    mkfsArgs: z.array(z.string()).nullable().default(null),
    autoFormat: z.boolean().default(false),
  })
  .strict()
  .refine((s) => !(s.autoFormat && s.mkfsArgs !== null), "mkfsArgs and autoFormat cannot be used together");

export const nixlabSpec = z
  .object({
    version: z.literal(1).default(1),
    system: z.enum(["x86_64-linux", "aarch64-linux"]).default("x86_64-linux"),
    backend: z.enum(["imageless", "libvirt"]),
    hostName: z
      .string()
      .regex(/^[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/, "must be a host name")
      .default("nixlab"),
    stateVersion: z
      .string()
      .regex(/^[0-9]{2}\.[0-9]{2}$/, "must look like 25.11")
      .default("25.11"),
    profiles: unique(z.enum(profiles)).default([]),
    testSuites: unique(z.enum(testSuites)).default([]),
    user: z
      .object({
        name: z
          .string()
          .regex(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a user name")
          .default("user"),
        extraGroups: z.array(nonEmpty).nullable().default(null),
        sshKeys: z.array(nonEmpty).optional(),
      })
      .strict()
      .nullable()
      .default(null),
    sshKeys: z.array(nonEmpty).default([]),
    consolePassword: nonEmpty.nullable().default(null),
    shares: z.record(mountPoint, share).default({}),
    storage: z.record(mountPoint, storage).default({}),
    extraPackages: z
      .array(
        z
          .string()
          .regex(
            /^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*$/,
            "must be a nixpkgs attribute path",
          ),
      )
      .default([]),
    kernelParams: z
      .array(z.string().regex(/^([^"\s]|"[^"]*")+$/, "must be one kernel parameter"))
      .default([]),
    diskSize: z
      .union([z.literal("auto"), z.number().int().positive()])
      .nullable()
      .optional(),
    /** The suite the guest runs, with every option it needs (nix/lib/suites.nix renders it). */
    suite: specSuiteSchema.nullable().default(null),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const reserved = spec.backend === "imageless" ? ["/", "/nix/store", "/lib/modules"] : ["/"];
    for (const kind of ["shares", "storage"] as const) {
      for (const mp of Object.keys(spec[kind])) {
        if (reserved.includes(mp)) {
          ctx.addIssue({
            code: "custom",
            path: [kind, mp],
            message: `is used by the ${spec.backend} backend itself`,
          });
        }
      }
    }
    for (const mp of Object.keys(spec.storage)) {
      if (mp in spec.shares)
        ctx.addIssue({ code: "custom", path: ["storage", mp], message: "is also a share" });
    }
    if (spec.backend === "libvirt" && spec.system === "aarch64-linux") {
      ctx.addIssue({
        code: "custom",
        path: ["system"],
        message:
          "the libvirt backend boots with BIOS GRUB, which aarch64-linux has not; use the imageless backend for aarch64-linux guests",
      });
    }
    if (spec.backend === "imageless" && spec.diskSize != null) {
      ctx.addIssue({ code: "custom", path: ["diskSize"], message: "only applies to the libvirt backend" });
    }
  });

export type NixlabSpecInput = z.input<typeof nixlabSpec>;
export type NixlabSpec = z.output<typeof nixlabSpec>;
