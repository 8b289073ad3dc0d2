// Leftover sweeping for the global set-up and teardown, which run outside jest's module
// loader (so node:child_process rather than execa).
import { execFileSync } from "node:child_process";
import { testPrefix } from "./paths";

const uri = "qemu:///system";

/** Destroy and undefine every domain whose name starts with the test prefix. */
export function sweepTestDomainsSync(): string[] {
  const names = execFileSync("virsh", ["-q", "-c", uri, "list", "--all", "--name"], { encoding: "utf8" })
    .split("\n")
    .map((n) => n.trim())
    .filter((n) => n.startsWith(testPrefix));
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
