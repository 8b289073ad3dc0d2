// Building blocks of the libvirt resources' input schemas (zod 4). They run in Check, so a
// failure names the property path and nothing has been touched yet.
import * as z from "zod";
import { parseSize } from "./units";
import { defaultUri } from "./virsh";
import { invalidXmlChars } from "./xml";

const noControl = (s: string): boolean => !invalidXmlChars.test(s);

export const uri = z
  .string()
  .regex(
    /^[a-z][a-z0-9+.-]*:\/\/[^\s]*$/i,
    "must be a libvirt URI such as qemu:///system or qemu+ssh://user@host/system",
  )
  .default(defaultUri);

/** The `uri` input of every libvirt resource: another host is another object, so it replaces. */
export const uriInput = uri.meta({
  description: "libvirt connection URI (`qemu+ssh://user@host/system` for a remote host).",
  replaceOnChanges: true,
});

/** libvirt object names: anything printable without `/` (libvirt refuses it; volumes are files). */
export const objectName = z
  .string()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .refine(noControl, "must not contain control characters")
  .refine((s) => !s.includes("/"), "must not contain '/'")
  .refine((s) => s.trim() === s, "must not start or end with whitespace");

export const absolutePath = z
  .string()
  .refine((s) => s.startsWith("/"), "must be an absolute path")
  .refine(noControl, "must not contain control characters");

/** Bytes, or a string with a unit: "10G", "512MiB", "1.5T". */
export const size = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const bytes = parseSize(v);
  if (bytes === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `invalid size ${JSON.stringify(v)}: use a positive number of bytes or a number with a unit (K, M, G, T, KiB, MiB, GiB, TiB, KB, MB, GB, TB)`,
    });
    return z.NEVER;
  }
  return bytes;
});

export const ipv4 = z
  .string()
  .regex(
    /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/,
    "must be an IPv4 address",
  );

export const mac = z
  .string()
  .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i, "must be a MAC address like 52:54:00:12:34:56")
  .transform((s) => s.toLowerCase());

export const plainText = z.string().refine(noControl, "must not contain control characters");

export const volumeFormat = z.enum(["qcow2", "raw"]).meta({ typeName: "VolumeFormat" });
