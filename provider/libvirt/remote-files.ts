// Before a domain is defined on a remote libvirt host (qemu+ssh://), the files it names there —
// kernel, initrd, the store paths on its command line (init=…), virtiofs sources, disk files —
// are looked for on that host over SSH. A guest whose closure was never copied there is then
// refused with a message that says so, instead of a QEMU or virtiofsd failure at start.
import { runChecked } from "../exec";
import type { Context } from "../resource";
import { type LibvirtSsh, sshRunner, sshTargetOf } from "./ssh-connection";

const storeRoot = /^\/nix\/store\/[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\-._?=]+/;

/** A file a domain needs on its host, and the input that names it. */
export interface NeededFile {
  property: string;
  path: string;
}

/**
 * The files a domain's definition names on its host. Paths inside the Nix store are reduced to
 * their store path (/nix/store/<hash>-<name>): that is what a copy puts there or not.
 */
export function neededFiles(d: {
  boot?: { kernel: string; initrd?: string | undefined; cmdline?: string | undefined } | undefined;
  filesystems: { source: string }[];
  disks: { path?: string | undefined }[];
}): NeededFile[] {
  const out: NeededFile[] = [];
  const add = (property: string, p: string | undefined) => {
    if (p === undefined) return;
    out.push({ property, path: storeRoot.exec(p)?.[0] ?? p });
  };
  add("boot.kernel", d.boot?.kernel);
  add("boot.initrd", d.boot?.initrd);
  for (const word of (d.boot?.cmdline ?? "").split(/\s+/)) {
    const i = word.indexOf("/nix/store/");
    if (i >= 0) add("boot.cmdline", word.slice(i));
  }
  d.filesystems.forEach((f, i) => {
    add(`filesystems[${i}].source`, f.source);
  });
  d.disks.forEach((k, i) => {
    add(`disks[${i}].path`, k.path);
  });
  return out;
}

/** The shell program run on the host: prints each argument that does not exist there. */
const probe = 'for p in "$@"; do [ -e "$p" ] || printf "%s\\n" "$p"; done';

/**
 * Which of `paths` are missing on the host of a qemu+ssh:// URI; undefined when the URI is not
 * one this can reach (other transports), so nothing is claimed.
 */
export async function missingOnHost(
  ctx: Pick<Context, "run">,
  uri: string,
  ssh: LibvirtSsh | undefined,
  paths: readonly string[],
): Promise<string[] | undefined> {
  const run = sshRunner(ctx.run, uri, ssh);
  if (!run) return undefined;
  const unique = [...new Set(paths)];
  if (unique.length === 0) return [];
  const r = await runChecked(run, "sh", ["-c", probe, "sh", ...unique]);
  const missing = new Set(
    r.stdout
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean),
  );
  return unique.filter((p) => missing.has(p));
}

/** The message for a domain whose files are missing on its remote host. */
export function missingFilesMessage(name: string, uri: string, missing: readonly NeededFile[]): string {
  const host = sshTargetOf(uri)?.host ?? uri;
  const list = missing.map((f) => `${f.property} ${f.path}`).join(", ");
  const store = missing.some((f) => f.path.startsWith("/nix/store/"));
  return `${name}: not on the libvirt host ${host} (${uri}): ${list}${
    store
      ? `. The guest's closure (and kernel) must be in that host's Nix store before the domain is defined: copy it there first (a nixlab:nix:Copy to ssh-ng://…@${host}, as Lab and ImagelessGuest do for hosts they know, or nix copy --to ssh-ng://…@${host})`
      : ""
  }`;
}
