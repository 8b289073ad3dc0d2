// Runs once before the test files: make sure the real host services are there and up, and
// clear what a crashed earlier run may have left. Fails with what to run when set-up is missing.
// (Runs outside jest's module loader: node:child_process here, not execa; see jest.config.js.)
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { pulumiBinDir, repoRoot, testKernel } from "./paths";
import { sweepDeadRunsObjectsSync, sweepTestDomainsSync } from "./sweep";

function requireCommand(cmd: string, hint: string): void {
  try {
    execFileSync("sh", ["-c", 'command -v "$1"', "sh", cmd], { stdio: "ignore" });
  } catch {
    throw new Error(`${cmd} is not installed: ${hint}`);
  }
}

export default function globalSetup(): void {
  const setupHint = "run `npm run setup` (README) first";
  for (const cmd of ["nix", "virsh", "qemu-system-x86_64", "qemu-img", "ssh", "ssh-keygen"]) {
    requireCommand(cmd, setupHint);
  }
  for (const bin of ["pulumi", "pulumi-language-nodejs", "pulumi-language-nodejs-go"]) {
    if (!existsSync(path.join(pulumiBinDir(), bin)))
      throw new Error(`no ${bin} in ${pulumiBinDir()}: ${setupHint}`);
  }
  if (!existsSync("/usr/sbin/sshd")) throw new Error(`sshd is not installed: ${setupHint}`);
  testKernel();
  // Starts libvirtd/virtlogd and the default network if they are not running (idempotent, fast when up).
  execFileSync("bash", [path.join(repoRoot, "scripts/setup/libvirt")], { stdio: "inherit" });
  const stale = [...sweepTestDomainsSync(), ...sweepDeadRunsObjectsSync()];
  if (stale.length > 0) console.warn(`removed what earlier test runs left: ${stale.join(", ")}`);
}
