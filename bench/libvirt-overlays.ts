// Benchmark: 8 guests' disks from one base image, as qcow2 overlays (nixlab:libvirt:Volume with
// backingVolume) versus as full copies (virsh vol-clone, what a guest costs without a backing
// chain), side by side in one run: time and disk used. Then the TCG boot of the test guest
// (direct kernel boot of the cached test kernel + fixture initramfs) to its console marker.
// Everything goes through the nixlab provider's resource definitions against qemu:///system.
// Run: npm run build && node dist/bench/libvirt-overlays.js   (root, libvirtd up, `npm run setup` done)
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import * as path from "node:path";
import { execaRunner } from "../provider/exec";
import { NixlabProvider } from "../provider/plugin";
import { definitions, providerVersion } from "../provider/registry";
import { buildFixtureInitramfs, renderFixtureInit } from "../tests/support/fixture-guest";
import { testKernel } from "../tests/support/paths";

type Props = Record<string, unknown>;
const guests = 8;
const prefix = `nixlab-bench-${process.pid}-`;
const uri = "qemu:///system";
const work = path.join(process.env.NIXLAB_BENCH_WORKDIR ?? "/var/tmp", `nixlab-bench-libvirt-${process.pid}`);
const provider = new NixlabProvider(providerVersion, definitions, execaRunner);
const urn = (type: string, name: string) => `urn:pulumi:bench::nixlab-bench::nixlab:libvirt:${type}::${name}`;

async function create(type: string, name: string, news: Props): Promise<{ id: string; outs: Props }> {
  const checked = await provider.check(urn(type, name), {}, news);
  if (checked.failures?.length) throw new Error(`${type} ${name}: ${JSON.stringify(checked.failures)}`);
  const r = await provider.create(urn(type, name), checked.inputs);
  return { id: r.id ?? "", outs: r.outs ?? {} };
}

const virsh = (args: string[]) => execFileSync("virsh", ["-q", "-c", uri, ...args], { encoding: "utf8" });
/** Bytes the file occupies on disk (allocated blocks, not its apparent size). */
const used = (file: string): number => statSync(file).blocks * 512;
const mib = (b: number): string => `${(b / 1024 ** 2).toFixed(1)} MiB`;
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  mkdirSync(work, { recursive: true });
  chmodSync(work, 0o755);
  const made: { type: string; name: string; id: string; outs: Props }[] = [];
  try {
    // A 1 GiB qcow2 holding 512 MiB of data, standing in for a NixOS image.
    const image = path.join(work, "base.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", image, "1G"]);
    execFileSync("qemu-io", ["-c", "write -P 0xa5 0 512M", image], { stdio: "ignore" });
    console.log(`base image: 1 GiB virtual, ${mib(used(image))} on disk`);

    const pool = await create("Pool", "pool", { uri, name: `${prefix}pool`, path: path.join(work, "pool") });
    made.push({ type: "Pool", name: "pool", ...pool });
    let t = Date.now();
    const base = await create("Volume", "base", { uri, pool: `${prefix}pool`, source: image });
    made.push({ type: "Volume", name: "base", ...base });
    console.log(`upload of the base volume (once): ${secs(Date.now() - t)}`);

    t = Date.now();
    const overlays: string[] = [];
    for (let i = 0; i < guests; i++) {
      const o = await create("Volume", `overlay${i}`, {
        uri,
        pool: `${prefix}pool`,
        name: `${prefix}overlay${i}.qcow2`,
        backingVolume: base.outs.name,
      });
      made.push({ type: "Volume", name: `overlay${i}`, ...o });
      overlays.push(String(o.outs.path));
    }
    const overlayMs = Date.now() - t;
    const overlayBytes = overlays.reduce((n, f) => n + used(f), 0);

    t = Date.now();
    const copies: string[] = [];
    for (let i = 0; i < guests; i++) {
      const name = `${prefix}copy${i}.qcow2`;
      virsh(["vol-clone", String(base.outs.path), name, "--pool", `${prefix}pool`]);
      copies.push(path.join(work, "pool", name));
    }
    const copyMs = Date.now() - t;
    const copyBytes = copies.reduce((n, f) => n + used(f), 0);

    console.log(
      `\n${guests} guests' disks from one base image (${mib(used(String(base.outs.path)))} on disk):`,
    );
    console.log(`  method                     time       disk used`);
    console.log(`  overlays (backingStore)    ${secs(overlayMs).padEnd(10)} ${mib(overlayBytes)}`);
    console.log(`  full copies (vol-clone)    ${secs(copyMs).padEnd(10)} ${mib(copyBytes)}`);
    console.log(
      `  ratio                      ${(copyMs / Math.max(overlayMs, 1)).toFixed(0)}x       ${(copyBytes / Math.max(overlayBytes, 1)).toFixed(0)}x`,
    );
    for (const c of copies) virsh(["vol-delete", c]);

    // TCG boot of the test guest to its marker.
    const kernel = testKernel();
    const initrd = await buildFixtureInitramfs(
      work,
      kernel,
      renderFixtureInit({ marker: "NIXLAB-BENCH-BOOTED" }),
    );
    console.log("\nTCG boot of the test guest (direct kernel boot, fixture initramfs) to its marker:");
    for (let run = 0; run < 3; run++) {
      const consoleLog = path.join(work, `console${run}.log`);
      t = Date.now();
      const dom = await create("Domain", `guest${run}`, {
        uri,
        name: `${prefix}guest${run}`,
        memoryMiB: 256,
        boot: { kernel: kernel.vmlinuz, initrd, cmdline: "console=ttyS0 panic=-1 quiet" },
        consoleLog,
        ipTimeoutSeconds: 0,
      });
      made.push({ type: "Domain", name: `guest${run}`, ...dom });
      const started = Date.now() - t;
      for (;;) {
        if (existsSync(consoleLog) && readFileSync(consoleLog, "utf8").includes("NIXLAB-BENCH-BOOTED")) break;
        if (Date.now() - t > 180_000) throw new Error(`no marker in ${consoleLog}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      console.log(
        `  run ${run + 1}: ${secs(Date.now() - t)} from create (define + start took ${secs(started)}), domain type ${dom.outs.domainType}`,
      );
      await provider.delete(dom.id, urn("Domain", `guest${run}`), dom.outs);
      made.pop();
    }
  } finally {
    for (const m of made.reverse()) {
      await provider
        .delete(m.id, urn(m.type, m.name), m.outs)
        .catch((e: unknown) => console.error(String(e)));
    }
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
