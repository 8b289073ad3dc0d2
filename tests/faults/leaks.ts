// What nixlab may leave on a machine, looked up for the fault suite's leak checks: libvirt objects
// by name prefix, GC roots, boot copies, console logs, read-only share mounts, key and XML temp
// folders, and the engine's processes of one sandbox. Each finder returns what it found, so a
// check can print what leaked.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const virshNames = (args: string[]): string[] => {
  try {
    return execFileSync("virsh", ["-q", "-c", "qemu:///system", ...args], { encoding: "utf8" })
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
};

/** Domains, pools and networks whose name starts with `prefix`. */
export function libvirtObjects(prefix: string): string[] {
  return [
    ...virshNames(["list", "--all", "--name"]).map((n) => `domain ${n}`),
    ...virshNames(["pool-list", "--all", "--name"]).map((n) => `pool ${n}`),
    ...virshNames(["net-list", "--all", "--name"]).map((n) => `network ${n}`),
  ].filter((o) => o.split(" ")[1]?.startsWith(prefix));
}

/** Files in a folder (none when it does not exist). */
export const filesIn = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir).map((f) => path.join(dir, f)) : [];

export { autoRootsInto } from "../support/workdir";

/** Boot-copy folders of the given domain UUIDs. */
export const bootCopies = (uuids: readonly string[], bootDir = "/var/lib/libvirt/boot/nixlab"): string[] =>
  uuids.map((u) => path.join(bootDir, u)).filter((d) => existsSync(d));

/** Mounts under the read-only share root that no defined domain uses. */
export function unusedReadOnlyViews(root = "/run/nixlab/ro-shares"): string[] {
  const mounted = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((p) => p.startsWith(`${root}/`));
  const used = new Set<string>();
  for (const name of virshNames(["list", "--all", "--name"])) {
    let xml = "";
    try {
      xml = execFileSync("virsh", ["-q", "-c", "qemu:///system", "dumpxml", "--inactive", name], {
        encoding: "utf8",
      });
    } catch {
      continue;
    }
    for (const m of xml.matchAll(/<source dir='([^']+)'/g)) if (m[1]) used.add(m[1]);
  }
  return mounted.filter((p) => !used.has(p));
}

/** Key and XML temp folders whose process is gone (the provider writes them with its pid). */
export function orphanTempFolders(): string[] {
  const found: string[] = [];
  for (const root of ["/dev/shm", tmpdir()]) {
    for (const f of filesIn(root)) {
      const m = /^nixlab-ssh-(\d+)-/.exec(path.basename(f));
      if (m && !existsSync(`/proc/${m[1]}`)) found.push(f);
    }
  }
  return found;
}

/** Processes whose environment carries `PULUMI_HOME=<home>`: the engine and its plugins of one sandbox. */
export function processesOf(home: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      if (!env.includes(`PULUMI_HOME=${home}`)) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
      found.push(`${pid} ${cmd}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}
