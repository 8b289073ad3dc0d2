// Leftover sweeping for the global set-up and teardown, which run outside jest's module
// loader (so node:child_process rather than execa).
import { execFileSync } from "node:child_process";
import { sweepLibvirtObjects } from "./libvirt-objects";
import { runAlive, testPrefix, testPrefixRoot, testRunOf } from "./paths";

const uri = "qemu:///system";

/**
 * Destroy and undefine the test domains of this run (`own`) or of runs that are no longer alive;
 * another run's live guests are left alone.
 */
export function sweepTestDomainsSync(own = false): string[] {
  const names = execFileSync("virsh", ["-q", "-c", uri, "list", "--all", "--name"], { encoding: "utf8" })
    .split("\n")
    .map((n) => n.trim())
    .filter((n) => {
      const pid = testRunOf(n);
      return pid !== undefined && (own ? n.startsWith(testPrefix) : !runAlive(pid));
    });
  for (const name of names) {
    for (const args of [
      ["destroy", name],
      ["undefine", name, "--nvram"],
    ]) {
      try {
        execFileSync("virsh", ["-c", uri, ...args], { stdio: "ignore" });
      } catch {
        // already gone or not running
      }
    }
  }
  return names;
}

/** Pools and networks (with their volumes) of test runs that are no longer alive. */
export function sweepDeadRunsObjectsSync(): string[] {
  const list = (what: string) =>
    execFileSync("virsh", ["-q", "-c", uri, what, "--all", "--name"], { encoding: "utf8" })
      .split("\n")
      .map((n) => n.trim());
  const dead = new Set<number>();
  for (const n of [...list("pool-list"), ...list("net-list")]) {
    const pid = testRunOf(n);
    if (pid !== undefined && !runAlive(pid)) dead.add(pid);
  }
  return [...dead].flatMap((pid) => sweepLibvirtObjects(`${testPrefixRoot}${pid}-`));
}
