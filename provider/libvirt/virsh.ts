// virsh, one connection URI per resource. Every call is an argument array (never a shell).
// XML goes through a private temporary file (virsh reads it locally and sends the document over
// its connection, so the same works for qemu+ssh:// URIs). Not /dev/stdin: Node gives a child
// a socket as stdin, which open("/dev/stdin") refuses (ENXIO).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CommandError, type Runner, type RunResult } from "../exec";
import { withSshMaterial } from "../host/ssh";
import type { Context } from "../resource";
import { connectionFor, type LibvirtSsh, withConnectUri } from "./ssh-connection";

export const defaultUri = "qemu:///system";

/** `qemu:///system`, `qemu+unix:///system`, `test:///default`: no host part, this machine. */
export function isLocalUri(uri: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/\//i.test(uri);
}

/** The full virsh argument list for one command against `uri`. */
export function virshArgs(uri: string, args: readonly string[]): string[] {
  return ["-q", "-c", uri, ...args];
}

/** Does a failed virsh call say that the object does not exist (rather than any other failure)? */
export function isNotFound(result: RunResult): boolean {
  return /failed to get (domain|vol|pool|network)\b|not found: no (domain|storage vol|storage pool|network) with matching|cannot stat file/i.test(
    result.stderr,
  );
}

/**
 * Does a failed call say the connection to libvirtd failed (daemon restarting, socket closed,
 * ssh dropped) or that the object is busy for a moment, rather than that the command is wrong?
 * Those are retried.
 */
export function isTransient(result: RunResult): boolean {
  // An ssh login that is refused (unknown host key, key not accepted) stays refused.
  if (/Host key verification failed|Permission denied \(/.test(result.stderr)) return false;
  return /failed to connect (socket|to the hypervisor)|End of file while reading data|Cannot (recv|write|read) data|client socket is closed|connection closed due to keepalive|Connection reset by peer|Broken pipe|has asynchronous jobs running|is locked by another|Timed out during operation: cannot acquire state change lock/i.test(
    result.stderr,
  );
}

/**
 * After a retry, a call whose first attempt may have reached libvirtd before the connection
 * broke can find its work done already: that counts as success.
 */
export function isAlreadyDone(args: readonly string[], result: RunResult): boolean {
  const cmd = args[0] ?? "";
  if (/^(start|net-start|pool-start)$/.test(cmd)) return /already (active|running)/i.test(result.stderr);
  if (/^(destroy|net-destroy|pool-destroy)$/.test(cmd))
    return isNotFound(result) || /not running|is not active/i.test(result.stderr);
  if (/^(undefine|net-undefine|pool-undefine|vol-delete)$/.test(cmd)) return isNotFound(result);
  return false;
}

export interface VirshOptions {
  /** Per-call timeout; a hung connection (ssh) must not hang the deployment. */
  timeoutMs?: number;
  /** How long transient failures are retried before the call fails (default 2 minutes: a libvirtd restarting on a loaded host re-probes QEMU first). */
  retryForMs?: number;
  /** Called before each retry (progress for the engine). */
  onRetry?: (message: string) => void;
  /** Key and known_hosts for a qemu+ssh:// URI (ssh-connection.ts). */
  ssh?: LibvirtSsh | undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Virsh {
  readonly local: boolean;
  constructor(
    readonly run: Runner,
    readonly uri: string = defaultUri,
    readonly opts: VirshOptions = {},
  ) {
    this.local = isLocalUri(uri);
  }

  /** Run a command; throw a CommandError unless it succeeds. Returns stdout. */
  async exec(args: readonly string[], input?: string): Promise<string> {
    const { result, retried } = await this.retrying(args, input);
    if (result.exitCode === 0 || (retried && isAlreadyDone(args, result))) return result.stdout;
    throw new CommandError("virsh", virshArgs(this.uri, args), result);
  }

  /** Run a command and return its result, whatever the exit code (transient failures retried). */
  async attempt(args: readonly string[], input?: string): Promise<RunResult> {
    return (await this.retrying(args, input)).result;
  }

  /** One call, repeated with backoff while it fails transiently, for at most retryForMs. */
  private async retrying(
    args: readonly string[],
    input?: string,
  ): Promise<{ result: RunResult; retried: boolean }> {
    const deadline = Date.now() + (this.opts.retryForMs ?? 120_000);
    let delay = 250;
    let retried = false;
    for (;;) {
      const result = await this.once(args, input);
      if (result.exitCode === 0 || !isTransient(result) || Date.now() + delay > deadline)
        return { result, retried };
      const why = result.stderr.trim().split("\n").pop() ?? "";
      this.opts.onRetry?.(`virsh ${args[0]}: ${why}; retrying in ${delay} ms`);
      await sleep(delay);
      delay = Math.min(delay * 2, 5_000);
      retried = true;
    }
  }

  /** One virsh call; over ssh with the key and known_hosts written out for its duration. */
  private async once(args: readonly string[], input?: string): Promise<RunResult> {
    const timeoutMs = this.opts.timeoutMs ?? 10 * 60_000;
    const conn = this.opts.ssh ? connectionFor(this.uri, this.opts.ssh) : undefined;
    if (!conn) return this.run("virsh", virshArgs(this.uri, args), { input, timeoutMs });
    return withSshMaterial(conn, (m) =>
      withConnectUri(this.uri, conn, m, (uri, env) =>
        this.run("virsh", virshArgs(uri, args), { input, timeoutMs, env }),
      ),
    );
  }

  /** stdout of a dumpxml-like call, or null when the object does not exist. */
  async dumpOrNull(args: readonly string[]): Promise<string | null> {
    const r = await this.attempt(args);
    if (r.exitCode === 0) return r.stdout;
    if (isNotFound(r)) return null;
    throw new CommandError("virsh", virshArgs(this.uri, args), r);
  }

  /** `virsh <cmd> [...before] <file holding xml> [...after]`. */
  async withXml(cmd: string, xml: string, before: readonly string[] = [], after: readonly string[] = []) {
    const dir = mkdtempSync(path.join(tmpdir(), "nixlab-virsh-"));
    try {
      const file = path.join(dir, "object.xml");
      writeFileSync(file, xml, { mode: 0o600 });
      return await this.exec([cmd, ...before, file, ...after]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** One name per line (`--name` listings). */
  async names(args: readonly string[]): Promise<string[]> {
    return (await this.exec(args))
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
  }

  /** Key/value lines of `dominfo`, `pool-info`, `net-info`. */
  async info(args: readonly string[]): Promise<Record<string, string> | null> {
    const out = await this.dumpOrNull(args);
    if (out === null) return null;
    return parseInfo(out);
  }
}

export function parseInfo(out: string): Record<string, string> {
  const info: Record<string, string> = {};
  for (const line of out.split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) info[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return info;
}

/**
 * A Virsh for a resource operation: retries are reported to the engine as warnings; `ssh` (the
 * resource's secret input) reaches a qemu+ssh:// host with its own key and known_hosts.
 */
export function virshFor(ctx: Pick<Context, "run" | "log">, uri: string, ssh?: LibvirtSsh): Virsh {
  return new Virsh(ctx.run, uri, { onRetry: (m) => ctx.log.warn(m), ssh });
}
