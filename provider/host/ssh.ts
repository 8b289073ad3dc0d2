// Reaching a host over SSH: the connection inputs, the ssh options they mean, the temporary
// key and known_hosts files (0600, in a private directory, removed afterwards), and quoting
// for commands the remote shell will parse.
import {
  accessSync,
  constants,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as z from "zod";

export const sshConnection = z.object({
  host: z
    .string()
    .regex(
      /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[?[0-9a-fA-F:.]+\]?$/,
      "must be a host name or IP address",
    )
    .meta({ description: "Host name or IP address." }),
  user: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, "must be a user name")
    .default("root")
    .meta({ description: "User to log in as." }),
  port: z.number().int().min(1).max(65535).default(22).meta({ description: "SSH port." }),
  privateKey: z.string().min(1).optional().meta({
    description:
      "Private key (OpenSSH format); kept as a secret, written to a 0600 temporary file only while in use.",
    secret: true,
  }),
  identityFile: z
    .string()
    .refine((p) => path.isAbsolute(p), "must be an absolute path")
    .refine((p) => !/\s/.test(p), "must not contain white space (NIX_SSHOPTS is split on it)")
    .optional()
    .meta({ description: "Or a key file already on this machine." }),
  knownHosts: z.string().optional().meta({ description: "known_hosts lines for the host." }),
  hostKeyChecking: z.enum(["strict", "accept-new", "off"]).default("strict").meta({
    description:
      "strict: the host key must be known; accept-new: trust on first use; off: no checking (tests only).",
    typeName: "HostKeyChecking",
  }),
  connectTimeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(600)
    .default(10)
    .meta({ description: "How long to wait for the connection." }),
  keepAliveSeconds: z.number().int().min(1).max(600).optional().meta({
    description:
      "Send a keepalive after this many silent seconds; three unanswered ones end the session (a hung host).",
  }),
});
export type SshConnection = z.infer<typeof sshConnection>;

export interface SshMaterial {
  keyFile?: string;
  knownHostsFile?: string;
}

/** ssh options (without the destination) for a connection. */
export function sshOptions(c: SshConnection, m: SshMaterial): string[] {
  // No connection sharing: a confirmation after an activation must prove a *new* login works.
  const opts = [
    "-p",
    String(c.port),
    "-o",
    "BatchMode=yes",
    "-o",
    `ConnectTimeout=${c.connectTimeoutSeconds}`,
  ];
  opts.push("-o", "ControlMaster=no", "-o", "ControlPath=none");
  // A host that stops answering (a new generation that drops packets, a hung guest) is noticed
  // within a minute or so instead of hanging the deployment on a dead TCP connection.
  opts.push("-o", `ServerAliveInterval=${c.keepAliveSeconds ?? 15}`, "-o", "ServerAliveCountMax=3");
  const key = m.keyFile ?? c.identityFile;
  if (key) opts.push("-i", key, "-o", "IdentitiesOnly=yes");
  if (m.knownHostsFile) opts.push("-o", `UserKnownHostsFile=${m.knownHostsFile}`);
  switch (c.hostKeyChecking) {
    case "strict":
      opts.push("-o", "StrictHostKeyChecking=yes");
      break;
    case "accept-new":
      opts.push("-o", "StrictHostKeyChecking=accept-new");
      break;
    case "off":
      opts.push(
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
      );
      break;
  }
  return opts;
}

export const destination = (c: SshConnection): string => `${c.user}@${c.host}`;

/** POSIX shell single-quoting: the remote sshd hands the command line to the user's shell. */
export const shellQuote = (s: string): string =>
  /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;

export const remoteCommand = (argv: readonly string[]): string => argv.map(shellQuote).join(" ");

/** Memory-backed when the machine has it, so that a key never reaches a disk. */
export function sshMaterialRoot(): string {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return "/dev/shm";
  } catch {
    return tmpdir();
  }
}

const materialPrefix = "nixlab-ssh-";

/**
 * Remove the key folders of provider processes that died before they could (killed mid-operation):
 * the folder names carry the pid of the process that made them.
 */
export function sweepSshMaterial(root: string = sshMaterialRoot()): string[] {
  const removed: string[] = [];
  for (const e of readdirSync(root)) {
    const pid = new RegExp(`^${materialPrefix}(\\d+)-`).exec(e)?.[1];
    if (pid === undefined || processAlive(Number(pid))) continue;
    rmSync(path.join(root, e), { recursive: true, force: true });
    removed.push(path.join(root, e));
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Run `fn` with the key and known_hosts written to private temp files; remove them after. */
export async function withSshMaterial<T>(c: SshConnection, fn: (m: SshMaterial) => Promise<T>): Promise<T> {
  if (!c.privateKey && !c.knownHosts) return fn({});
  const dir = mkdtempSync(path.join(sshMaterialRoot(), `${materialPrefix}${process.pid}-`));
  try {
    const m: SshMaterial = {};
    if (c.privateKey) {
      m.keyFile = path.join(dir, "id");
      writeFileSync(m.keyFile, c.privateKey.endsWith("\n") ? c.privateKey : `${c.privateKey}\n`, {
        mode: 0o600,
      });
    }
    if (c.knownHosts) {
      m.knownHostsFile = path.join(dir, "known_hosts");
      writeFileSync(m.knownHostsFile, c.knownHosts.endsWith("\n") ? c.knownHosts : `${c.knownHosts}\n`, {
        mode: 0o600,
      });
    }
    return await fn(m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The name pinned host keys are filed under, whatever address the host has today. */
export const pinnedHostAlias = "nixlab-pinned-host";

/** "type base64" of the first key filed under `alias` in known_hosts text (unhashed), or undefined. */
export function hostKeyFromKnownHosts(text: string, alias = pinnedHostAlias): string | undefined {
  for (const line of text.split("\n")) {
    const [names, type, key] = line.trim().split(/\s+/);
    if (names?.split(",").includes(alias) && type && key) return `${type} ${key}`;
  }
  return undefined;
}

export interface PinnedSession {
  /** ssh options (without the destination) for every connection of this session. */
  options: string[];
  /** The host key: the pinned one, or the one accepted on first contact (undefined before any contact). */
  hostKey(): string | undefined;
}

/**
 * Host-key pinning without the user's known_hosts: with `pinned` ("type base64"), only that key is
 * accepted; without, the first connection accepts the host's key (trust on first use) and the
 * session's later connections insist on it. The key is filed under a fixed alias
 * (HostKeyAlias), so a pin survives a new address. Key and known_hosts live in a private temp
 * folder for the session only.
 */
export async function withPinnedHost<T>(
  c: SshConnection,
  pinned: string | undefined,
  fn: (s: PinnedSession) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), "nixlab-ssh-"));
  try {
    const knownHostsFile = path.join(dir, "known_hosts");
    writeFileSync(knownHostsFile, pinned ? `${pinnedHostAlias} ${pinned}\n` : "", { mode: 0o600 });
    const m: SshMaterial = { knownHostsFile };
    if (c.privateKey) {
      m.keyFile = path.join(dir, "id");
      writeFileSync(m.keyFile, c.privateKey.endsWith("\n") ? c.privateKey : `${c.privateKey}\n`, {
        mode: 0o600,
      });
    }
    const options = [
      ...sshOptions({ ...c, hostKeyChecking: pinned ? "strict" : "accept-new" }, m),
      "-o",
      `HostKeyAlias=${pinnedHostAlias}`,
      "-o",
      "HashKnownHosts=no",
      "-o",
      "CheckHostIP=no",
    ];
    return await fn({
      options,
      hostKey: () => hostKeyFromKnownHosts(readFileSync(knownHostsFile, "utf8")),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
