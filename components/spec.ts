// The JSON spec that nix/lib/mk-system.nix (`lib.mkSystem`) builds a NixOS system from, mirrored
// in zod so that a bad spec fails in the Pulumi program, with its key path, before Nix runs.
// Field by field as nix/README.md documents it; the Nix side validates again.
import * as z from "zod";
import { sshPublicKey } from "./ssh-public-key";
import { specSuiteSchema, testSuites } from "./suite-config";

/** A record key: zod reports a bad key with only these messages, so each says it is the mount point. */
const mountPoint = z
  .string()
  .regex(/^\//, "mount point must be a full path, such as /mnt/test")
  .regex(/^[ -~]*$/, "mount point must be printable ASCII")
  .refine((p) => !p.split("/").includes(".."), "mount point must not contain ..");
const nonEmpty = z.string().min(1, "must not be empty");

/** One kernel command-line parameter: no blanks outside quotes, no newline or control character anywhere. */
export const kernelParam = z.string().superRefine((p, ctx) => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(p))
    ctx.addIssue({ code: "custom", message: "must not contain newlines or control characters" });
  else if (!/^([^"\s]|"[^"]*")+$/.test(p))
    ctx.addIssue({ code: "custom", message: 'must be one kernel parameter (quote blanks: name="a b")' });
});
const unique = <T extends z.ZodType<string>>(item: T) =>
  z.array(item).refine((xs) => new Set(xs).size === xs.length, "must not repeat an entry");

export const profiles = ["devel", "build-tools", "monitoring", "controller"] as const;
export { testSuites };

/** A virtiofs tag: the device holds at most 36 bytes; mount and fstab split on blanks. */
export const virtiofsTag = z
  .string()
  .regex(/^[A-Za-z0-9_.+-]{1,36}$/, "must be 1-36 of A-Z a-z 0-9 _ . + - (a virtiofs tag: no spaces)");

/** Tags the imageless backend shares itself: the host's /nix/store and the kernel's modules. */
export const imagelessOwnTags = ["store", "modules"] as const;

export const share = z.object({ tag: virtiofsTag, options: z.array(nonEmpty).default([]) }).strict();

export const storage = z
  .object({
    device: z
      .string()
      .regex(
        /^\/dev\/[ -~]+$/,
        "must be a device under /dev, such as /dev/vdb or /dev/disk/by-id/virtio-SERIAL",
      )
      .refine((d) => !d.split("/").includes(".."), "must not contain .."),
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
        sshKeys: z.array(sshPublicKey).optional(),
      })
      .strict()
      .nullable()
      .default(null),
    sshKeys: z.array(sshPublicKey).default([]),
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
    kernelParams: z.array(kernelParam).default([]),
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
    const tags = Object.entries(spec.shares).map(([mp, sh]) => [mp, sh.tag] as const);
    tags.forEach(([mp, tag], i) => {
      if (tags.findIndex(([, t]) => t === tag) !== i)
        ctx.addIssue({ code: "custom", path: ["shares", mp, "tag"], message: `${tag} is used twice` });
      if (spec.backend === "imageless" && (imagelessOwnTags as readonly string[]).includes(tag))
        ctx.addIssue({
          code: "custom",
          path: ["shares", mp, "tag"],
          message: `${tag} is the imageless backend's own share`,
        });
    });
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
