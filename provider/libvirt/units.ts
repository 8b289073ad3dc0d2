// Sizes: what a user may write ("10G", "512MiB", 1073741824) and what libvirt reports
// (`<capacity unit='bytes'>`, `<memory unit='KiB'>`).

const binary: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
};

/**
 * "10G", "10GiB", "512M", "1.5G", "4096" or 4096 → bytes. Single letters and *iB are binary
 * (qemu-img's convention); KB/MB/GB/TB are decimal. Undefined for anything else.
 */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
  if (!m) return undefined;
  const factor = binary[(m[2] ?? "").toLowerCase()];
  if (factor === undefined) return undefined;
  const bytes = Math.round(Number(m[1]) * factor);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

const libvirtUnits: Record<string, number> = {
  b: 1,
  bytes: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
};

/** A libvirt scaled integer (`unit` attribute, default as given) in bytes. */
export function libvirtBytes(
  value: string | undefined,
  unit: string | undefined,
  defaultUnit = "bytes",
): number {
  if (value === undefined) return 0;
  const factor = libvirtUnits[(unit ?? defaultUnit).toLowerCase()];
  if (factor === undefined) throw new Error(`unknown libvirt unit ${unit}`);
  return Number(value) * factor;
}
