// Small text helpers the parsers share: reading raw files leniently and cutting excerpts.
import { existsSync, readFileSync, statSync } from "node:fs";

/** An excerpt holds at most this many bytes (the summary promises "at most ~4 KiB"). */
export const excerptMaxBytes = 4096;
/** ...and at most this many lines: the start of a diff or a log says most. */
export const excerptMaxLines = 40;

/** The first lines of `text`, trimmed to the excerpt limits; undefined when nothing is left. */
export function excerpt(text: string | undefined, maxLines = excerptMaxLines): string | undefined {
  if (text === undefined) return undefined;
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  while (lines.length > 0 && (lines[0] ?? "").trim() === "") lines.shift();
  while (lines.length > 0 && (lines[lines.length - 1] ?? "").trim() === "") lines.pop();
  if (lines.length === 0) return undefined;
  let out = lines.slice(0, maxLines).join("\n");
  const cut = lines.length > maxLines;
  if (Buffer.byteLength(out) > excerptMaxBytes) {
    // Cut on a character boundary: decode the truncated bytes and drop a broken last character.
    out = Buffer.from(out)
      .subarray(0, excerptMaxBytes - 4)
      .toString("utf8")
      .replace(/\uFFFD$/, "");
    return `${out}\n...`;
  }
  return cut ? `${out}\n...` : out;
}

/** Join the non-empty parts of an excerpt with blank lines, then apply the limits. */
export function joinExcerpts(...parts: (string | undefined)[]): string | undefined {
  const present = parts.filter((p): p is string => p !== undefined && p.trim() !== "");
  return present.length === 0 ? undefined : excerpt(present.join("\n"), excerptMaxLines);
}

/** Raw result files can be large (a full dmesg); reading stops at this size. */
const readLimitBytes = 16 * 1024 * 1024;

/** A raw file's text, or undefined when it is absent or not a regular file. Bytes past 16 MiB are not read. */
export function readText(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const st = statSync(file);
  if (!st.isFile()) return undefined;
  const buf = readFileSync(file);
  return buf.subarray(0, readLimitBytes).toString("utf8");
}

/** Seconds from a number-like string ("12", "0.174s", "12.5"); undefined when it is not one. */
export function seconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*s?\s*$/.exec(value);
  if (!m?.[1]) return undefined;
  const n = Number(m[1]);
  return Number.isFinite(n) ? n : undefined;
}
