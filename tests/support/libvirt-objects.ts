// Removal of the libvirt storage pools (with their volumes) and networks a test created, by name
// prefix. The global sweep only handles domains; tests that make pools or networks call this in
// afterAll with a prefix of their own (always starting with testPrefix).
import { execFileSync } from "node:child_process";
import { testPrefixRoot } from "./paths";

const uri = "qemu:///system";
const virsh = (args: string[]): string => {
  try {
    return execFileSync("virsh", ["-q", "-c", uri, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch {
    return "";
  }
};
const names = (out: string): string[] =>
  out
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

/** Destroy and undefine domains, pools (deleting their volumes, overlays first) and networks named `prefix*`. */
export function sweepLibvirtObjects(prefix: string): string[] {
  if (!prefix.startsWith(testPrefixRoot)) throw new Error(`refusing to sweep ${prefix}: not a test prefix`);
  const removed: string[] = [];
  for (const d of names(virsh(["list", "--all", "--name"])).filter((n) => n.startsWith(prefix))) {
    virsh(["destroy", d]);
    virsh(["undefine", d, "--nvram"]);
    removed.push(`domain ${d}`);
  }
  for (const p of names(virsh(["pool-list", "--all", "--name"])).filter((n) => n.startsWith(prefix))) {
    virsh(["pool-start", p]);
    virsh(["pool-refresh", p]);
    const target = /<path>([^<]*)<\/path>/.exec(virsh(["pool-dumpxml", p]))?.[1] ?? "/nonexistent";
    const vols = names(virsh(["vol-list", p]))
      .map((l) => l.slice(l.indexOf(`${target}/`)))
      .filter((v) => v.startsWith("/"));
    // Overlays before their bases: those with a backing store first.
    const hasBacking = (v: string) => virsh(["vol-dumpxml", v]).includes("<backingStore>");
    for (const v of [...vols.filter(hasBacking), ...vols.filter((v) => !hasBacking(v))])
      virsh(["vol-delete", v]);
    virsh(["pool-destroy", p]);
    virsh(["pool-undefine", p]);
    removed.push(`pool ${p}`);
  }
  for (const n of names(virsh(["net-list", "--all", "--name"])).filter((x) => x.startsWith(prefix))) {
    virsh(["net-destroy", n]);
    virsh(["net-undefine", n]);
    removed.push(`network ${n}`);
  }
  return removed;
}
