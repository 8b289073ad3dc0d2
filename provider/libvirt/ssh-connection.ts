// Reaching a remote libvirtd (qemu+ssh://) with a key that is a Pulumi secret and a pinned host
// key. The resources keep the URI as given (user, host, port, no key), which names the host in
// state and diffs; the `ssh` input (secret) holds the key and known_hosts lines. For each virsh
// call they are written to private temporary files (provider/host/ssh.ts) and the URI gets
// `keyfile=` and `command=` — nixlab's ssh wrapper (provider/bin/nixlab-ssh), which adds the
// known_hosts file and the host key checking that libvirt's ssh transport has no URI parameter
// for, from an ssh config it finds through TMPDIR (one of the few variables libvirt passes on).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type * as z from "zod";
import type { Runner } from "../exec";
import {
  remoteCommand,
  type SshConnection,
  type SshMaterial,
  sshConnection,
  sshMaterialRoot,
  sshOptions,
  withSshMaterial,
} from "../host/ssh";

/** The `ssh` input of the libvirt resources: the connection without user, host and port (the URI's). */
export const libvirtSsh = sshConnection
  .pick({
    privateKey: true,
    identityFile: true,
    knownHosts: true,
    hostKeyChecking: true,
    connectTimeoutSeconds: true,
  })
  .strict()
  .meta({ typeName: "LibvirtSsh" });
export type LibvirtSsh = z.output<typeof libvirtSsh>;

/** The `ssh` input as every libvirt resource declares it: a secret, and a change updates. */
export const sshInput = libvirtSsh.optional().meta({
  description:
    "Key and known_hosts for a qemu+ssh:// `uri` (user, host and port stay in the URI); written to private temporary files for each call.",
  secret: true,
});

/** provider/bin/nixlab-ssh, from source (provider/libvirt) or from dist/provider/libvirt. */
export function sshWrapper(): string {
  for (const up of ["../bin", "../../../provider/bin"]) {
    const p = path.resolve(__dirname, up, "nixlab-ssh");
    if (existsSync(p)) return p;
  }
  throw new Error(`nixlab-ssh (provider/bin) not found from ${__dirname}`);
}

/** user, host and port of a qemu+ssh:// URI (undefined for other URIs). */
export function sshTargetOf(uri: string): { user?: string; host: string; port?: number } | undefined {
  const m = /^[a-z0-9]+\+ssh:\/\/(?:([^@/?]+)@)?(\[[^\]]+\]|[^:/?]+)(?::(\d+))?\//i.exec(uri);
  if (!m?.[2]) return undefined;
  return {
    ...(m[1] ? { user: decodeURIComponent(m[1]) } : {}),
    host: m[2].replace(/^\[|\]$/g, ""),
    ...(m[3] ? { port: Number(m[3]) } : {}),
  };
}

/** The URI's query parameters (keyfile=, command=, …). */
export function uriParams(uri: string): URLSearchParams {
  const q = uri.indexOf("?");
  return new URLSearchParams(q < 0 ? "" : uri.slice(q + 1));
}

/** The SshConnection a qemu+ssh URI and an `ssh` input mean together. */
export function connectionFor(uri: string, ssh: LibvirtSsh | undefined): SshConnection | undefined {
  const t = sshTargetOf(uri);
  if (!t) return undefined;
  const keyfile = uriParams(uri).get("keyfile") ?? undefined;
  return sshConnection.parse({
    host: t.host,
    user: t.user ?? "root",
    port: t.port ?? 22,
    ...(keyfile ? { identityFile: keyfile } : {}),
    ...(ssh ?? {}),
  });
}

/** The ssh options as ssh_config lines (`-o K=V` → `K V`, `-i F` → `IdentityFile F`); -p is the URI's. */
export function sshConfigLines(opts: readonly string[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < opts.length; i += 2) {
    const [flag, value = ""] = [opts[i], opts[i + 1]];
    if (flag === "-o") lines.push(value.replace("=", " "));
    else if (flag === "-i") lines.push(`IdentityFile ${value}`);
  }
  return lines;
}

/**
 * Run `fn` with the URI virsh connects with: the key file and nixlab's ssh wrapper added
 * (replacing any given in the URI), and the environment that leads the wrapper to the
 * connection's ssh config, written to a private folder for the duration of `fn`.
 */
export async function withConnectUri<T>(
  uri: string,
  c: SshConnection,
  m: SshMaterial,
  fn: (uri: string, env: Record<string, string>) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(path.join(sshMaterialRoot(), `nixlab-ssh-${process.pid}-`));
  try {
    writeFileSync(path.join(dir, "nixlab-ssh_config"), `${sshConfigLines(sshOptions(c, m)).join("\n")}\n`, {
      mode: 0o600,
    });
    const q = uri.indexOf("?");
    const params = uriParams(uri);
    const key = m.keyFile ?? c.identityFile;
    if (key) params.set("keyfile", key);
    params.set("command", sshWrapper());
    return await fn(`${q < 0 ? uri : uri.slice(0, q)}?${params.toString()}`, { TMPDIR: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A Runner whose commands run on the host of a qemu+ssh:// URI (undefined for other URIs),
 * reached as libvirt reaches it: with the `ssh` input's key and known_hosts, or else with the
 * URI's own keyfile= and command=.
 */
export function sshRunner(run: Runner, uri: string, ssh: LibvirtSsh | undefined): Runner | undefined {
  const conn = connectionFor(uri, ssh);
  if (!conn) return undefined;
  const command = ssh ? "ssh" : (uriParams(uri).get("command") ?? "ssh");
  return (cmd, args, opts) =>
    withSshMaterial(conn, (m) =>
      run(command, [...sshOptions(conn, m), `${conn.user}@${conn.host}`, remoteCommand([cmd, ...args])], {
        timeoutMs: 120_000,
        ...opts,
      }),
    );
}
