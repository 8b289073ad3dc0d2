// Where the host set-up (scripts/setup-host) leaves things, computed the same way the
// shell scripts do (scripts/lib/common.sh), so tests and scripts agree without a state file.
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";

/** The repository root: the nearest folder above holding nixlab's package.json (also from dist/). */
export const repoRoot = ((): string => {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg) && /"name":\s*"nixlab"/.test(readFileSync(pkg, "utf8"))) return dir;
  }
  throw new Error(`no nixlab package.json above ${__dirname}`);
})();

export function cacheDir(): string {
  const env = process.env;
  return env.NIXLAB_CACHE_DIR ?? path.join(env.XDG_CACHE_HOME ?? path.join(homedir(), ".cache"), "nixlab");
}

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
