// Where the host set-up (scripts/setup-host) leaves things, computed the same way the
// shell scripts do (scripts/lib/common.sh), so tests and scripts agree without a state file.
import { existsSync, readdirSync, realpathSync } from "node:fs";
import * as path from "node:path";
import { cacheDir, repositoryRoot } from "../../components/locations";

/** The repository root (also from dist/), and the cache scripts/setup-host fills: as the components see them. */
export const repoRoot = repositoryRoot();
export type { cacheDir };

/** Directory holding the built `pulumi` and `pulumi-language-nodejs`. */
export function pulumiBinDir(): string {
  return path.join(cacheDir(), "pulumi", "current", "bin");
}

export interface TestKernel {
  vmlinuz: string;
  /** `lib/modules/<version>` of that kernel. */
  modulesDir: string;
  version: string;
}

export function testKernel(): TestKernel {
  const root = path.join(cacheDir(), "kernel", "current");
  const vmlinuz = path.join(root, "vmlinuz");
  if (!existsSync(vmlinuz)) throw new Error(`no test kernel at ${vmlinuz}: run \`npm run setup\` first`);
  const modules = path.join(realpathSync(root), "lib", "modules");
  const [version] = readdirSync(modules);
  if (!version) throw new Error(`no modules under ${modules}`);
  return { vmlinuz, modulesDir: path.join(modules, version), version };
}

/**
 * Scratch space for tests that libvirt's QEMU (user libvirt-qemu) must read: not under
 * /root or a private tmp. Each run gets its own folder below it.
 */
export const testWorkRoot = process.env.NIXLAB_TEST_WORKDIR ?? "/var/tmp/nixlab-tests";

/** What every libvirt object any test run creates starts with. */
export const testPrefixRoot = "nixlab-test-";

/**
 * This run's prefix: the root plus the jest process id (tests run in band, in that process), so
 * that leftovers are swept only once the run that made them is gone and two test runs on one
 * machine never remove each other's objects.
 */
export const testPrefix = `${testPrefixRoot}${process.pid}-`;

/** The process id of the test run that made an object, from its name; undefined when not a test object. */
export function testRunOf(name: string): number | undefined {
  const m = /^nixlab-test-(\d+)-/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Is that test run still alive? (signal 0 only checks.) */
export function runAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
