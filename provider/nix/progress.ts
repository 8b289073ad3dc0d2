// Reads `nix build --log-format internal-json` stderr: which derivation is building, how many
// are done, each build's log lines (the last few kept for error messages) and error messages.
// Activity and result type numbers are Nix's (libutil/logging.hh): stable across 2.x.

const actBuilds = 104;
const actBuild = 105;
const resBuildLogLine = 101;
const resProgress = 105;

export type ProgressEvent =
  | { kind: "building"; drvPath: string }
  | { kind: "built"; drvPath: string }
  | { kind: "progress"; done: number; expected: number; running: number; failed: number }
  | { kind: "error"; message: string };

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour escapes are what we strip
const ansi = /\u001b\[[0-9;]*m/g;
export const stripAnsi = (s: string): string => s.replace(ansi, "");

interface NixLogRecord {
  action: "start" | "stop" | "result" | "msg";
  id?: number;
  type?: number;
  level?: number;
  msg?: string;
  fields?: unknown[];
}

export class BuildProgress {
  private readonly activityType = new Map<number, number>();
  private readonly activityDrv = new Map<number, string>();
  private readonly logs = new Map<string, string[]>();
  readonly errors: string[] = [];
  /** stderr lines that were not internal-json (older Nix, wrappers). */
  readonly plainLines: string[] = [];

  constructor(private readonly keepLines = 25) {}

  /** Feed one stderr line; returns what it means, if anything worth reporting. */
  feed(line: string): ProgressEvent | undefined {
    if (!line.startsWith("@nix ")) {
      if (line.trim()) this.keep(this.plainLines, line);
      return undefined;
    }
    let rec: NixLogRecord;
    try {
      rec = JSON.parse(line.slice(5)) as NixLogRecord;
    } catch {
      return undefined;
    }
    const fields = rec.fields ?? [];
    switch (rec.action) {
      case "start":
        if (rec.id === undefined || rec.type === undefined) return undefined;
        this.activityType.set(rec.id, rec.type);
        if (rec.type === actBuild && typeof fields[0] === "string") {
          this.activityDrv.set(rec.id, fields[0]);
          return { kind: "building", drvPath: fields[0] };
        }
        return undefined;
      case "stop": {
        const drvPath = rec.id === undefined ? undefined : this.activityDrv.get(rec.id);
        if (rec.id !== undefined) this.activityType.delete(rec.id);
        return drvPath ? { kind: "built", drvPath } : undefined;
      }
      case "result": {
        if (rec.id === undefined) return undefined;
        if (rec.type === resBuildLogLine && typeof fields[0] === "string") {
          const drv = this.activityDrv.get(rec.id);
          if (drv) this.keep(this.logOf(drv), fields[0]);
          return undefined;
        }
        if (rec.type === resProgress && this.activityType.get(rec.id) === actBuilds) {
          const [done, expected, running, failed] = fields.map(Number);
          return {
            kind: "progress",
            done: done ?? 0,
            expected: expected ?? 0,
            running: running ?? 0,
            failed: failed ?? 0,
          };
        }
        return undefined;
      }
      case "msg":
        if (rec.level === 0 && rec.msg) {
          const message = stripAnsi(rec.msg).replace(/^error:\s*/, "");
          this.errors.push(message);
          return { kind: "error", message };
        }
        return undefined;
      default:
        return undefined;
    }
  }

  /** The last log lines of a derivation's build. */
  logTail(drvPath: string): string[] {
    return [...(this.logs.get(drvPath) ?? [])];
  }

  /** Derivations named in error messages as having failed. */
  failedDerivations(): string[] {
    const drvs = new Set<string>();
    for (const e of this.errors)
      for (const m of e.matchAll(/builder for '([^']+\.drv)' failed/g)) if (m[1]) drvs.add(m[1]);
    return [...drvs];
  }

  /** A human error report: the errors, then each failed derivation's last log lines. */
  report(): string {
    const parts = this.errors.length > 0 ? [...this.errors] : this.plainLines.slice(-10);
    for (const drv of this.failedDerivations()) {
      const tail = this.logTail(drv);
      if (tail.length > 0)
        parts.push(`last ${tail.length} log lines of ${drv}:\n${tail.map((l) => `> ${l}`).join("\n")}`);
    }
    return parts.join("\n");
  }

  private logOf(drv: string): string[] {
    let l = this.logs.get(drv);
    if (!l) {
      l = [];
      this.logs.set(drv, l);
    }
    return l;
  }

  private keep(buf: string[], line: string): void {
    buf.push(line);
    if (buf.length > this.keepLines) buf.shift();
  }
}

/** "nixlab-smoke" from "/nix/store/<hash>-nixlab-smoke.drv". */
export const drvName = (drvPath: string): string =>
  drvPath.replace(/^.*\/[a-z0-9]{32}-/, "").replace(/\.drv$/, "");
