// qemu-img, for facts about local image files (format and virtual size of an image about to be
// uploaded; the backing chain of a volume). Argument arrays only.
import { type Runner, runChecked } from "../exec";

export interface ImageInfo {
  filename: string;
  format: string;
  virtualSize: number;
  actualSize: number;
  backingFilename?: string;
  backingFormat?: string;
}

export function qemuImgInfoArgs(file: string, opts: { backingChain?: boolean } = {}): string[] {
  // -U (force share): also works on an image a running guest has open.
  return ["info", "--output=json", "-U", ...(opts.backingChain ? ["--backing-chain"] : []), file];
}

interface RawInfo {
  filename?: string;
  format?: string;
  "virtual-size"?: number;
  "actual-size"?: number;
  "backing-filename"?: string;
  "full-backing-filename"?: string;
  "backing-filename-format"?: string;
}

/** `qemu-img info --output=json` (one object) or with --backing-chain (an array, top first). */
export function parseImageInfo(json: string): ImageInfo[] {
  const raw = JSON.parse(json) as RawInfo | RawInfo[];
  return (Array.isArray(raw) ? raw : [raw]).map((r) => ({
    filename: r.filename ?? "",
    format: r.format ?? "",
    virtualSize: r["virtual-size"] ?? 0,
    actualSize: r["actual-size"] ?? 0,
    ...(r["full-backing-filename"] || r["backing-filename"]
      ? { backingFilename: r["full-backing-filename"] ?? r["backing-filename"] }
      : {}),
    ...(r["backing-filename-format"] ? { backingFormat: r["backing-filename-format"] } : {}),
  }));
}

export async function imageInfo(run: Runner, file: string, opts: { backingChain?: boolean } = {}) {
  const r = await runChecked(run, "qemu-img", qemuImgInfoArgs(file, opts));
  return parseImageInfo(r.stdout);
}
