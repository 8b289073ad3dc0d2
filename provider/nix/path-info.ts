// `nix path-info --json` in both shapes: Nix < 2.19 prints an array of objects with a `path`
// field; newer Nix (and Lix) an object keyed by store path, with null for invalid paths.

export interface PathInfo {
  path: string;
  valid: boolean;
  narHash?: string;
  narSize?: number;
  closureSize?: number;
  references?: string[];
}

type Raw = Record<string, unknown>;

function fromRaw(path: string, raw: Raw | null | undefined): PathInfo {
  if (!raw || raw.valid === false) return { path, valid: false };
  const info: PathInfo = { path, valid: true };
  if (typeof raw.narHash === "string") info.narHash = raw.narHash;
  if (typeof raw.narSize === "number") info.narSize = raw.narSize;
  if (typeof raw.closureSize === "number") info.closureSize = raw.closureSize;
  if (Array.isArray(raw.references))
    info.references = raw.references.filter((r): r is string => typeof r === "string");
  return info;
}

export function parsePathInfo(json: string): PathInfo[] {
  const data: unknown = JSON.parse(json);
  if (Array.isArray(data)) {
    return data.map((raw: Raw) => fromRaw(String(raw.path), raw));
  }
  if (typeof data === "object" && data !== null) {
    return Object.entries(data as Record<string, Raw | null>).map(([path, raw]) => fromRaw(path, raw));
  }
  throw new Error(`unexpected nix path-info output: ${json.slice(0, 200)}`);
}

/** Does nix say the path is not (or no longer) in the store, rather than that it could not look? */
export const isInvalidPath = (stderr: string): boolean =>
  /is not valid|does not exist|is not in the Nix store/i.test(stderr);
