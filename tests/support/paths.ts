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

/** Every libvirt object a test creates carries this prefix, so leftovers can be swept. */
export const testPrefix = "nixlab-test-";
