// Scale section 4: disks for 8 guests from one base image (1 GiB, 512 MiB of data). Our
// provider's overlays (nixlab:libvirt:Volume with backingVolume, created side by side as the
// engine does) against a raw script of `virsh vol-create` calls with the same XML, and against
// full copies (virsh vol-clone). Then a refresh (read) of the 9 volumes and their deletion, with
// the virsh processes each takes. In-process provider, real libvirt (qemu:///system).
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { execaRunner, type Runner } from "../../provider/exec";
import { volumeXml } from "../../provider/libvirt/volume";
import { NixlabProvider } from "../../provider/plugin";
import { definitions, providerVersion } from "../../provider/registry";
import { benchPrefix, benchWorkDir, fmtS, fmtX, type Row, sweepBenchObjects, timed, uri } from "./common";

type Props = Record<string, unknown>;
const guests = 8;

export async function disksSection(rows: Row[]): Promise<void> {
  const prefix = `${benchPrefix}disks-`;
  const work = benchWorkDir("scale-disks");
  const calls: string[] = [];
  const counting: Runner = (cmd, args, opts) => {
    // virsh's command is the first argument after its options (-q, -c URI).
    calls.push(cmd === "virsh" ? `virsh ${args[3] ?? ""}` : `${cmd} ${args[0] ?? ""}`);
    return execaRunner(cmd, args, opts);
  };
  const provider = new NixlabProvider(providerVersion, definitions, counting);
  const urn = (type: string, name: string) =>
    `urn:pulumi:bench::nixlab-bench::nixlab:libvirt:${type}::${name}`;
  const made: { type: string; name: string; id: string; outs: Props }[] = [];
  const create = async (type: string, name: string, news: Props) => {
    const checked = await provider.check(urn(type, name), {}, news);
    if (checked.failures?.length) throw new Error(`${type} ${name}: ${JSON.stringify(checked.failures)}`);
    const r = await provider.create(urn(type, name), checked.inputs);
    const m = { type, name, id: r.id ?? "", outs: r.outs ?? {} };
    made.push(m);
    return m;
  };
  const virsh = (args: string[]) => execFileSync("virsh", ["-q", "-c", uri, ...args], { encoding: "utf8" });
  const used = (file: string): number => statSync(file).blocks * 512;
  const count = (pattern: RegExp) => calls.filter((c) => pattern.test(c)).length;
  const pool = `${prefix}pool`;
  const poolDir = path.join(work, "pool");

  try {
    const image = path.join(work, "base.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", image, "1G"]);
    execFileSync("qemu-io", ["-c", "write -P 0xa5 0 512M", image], { stdio: "ignore" });
    await create("Pool", "pool", { uri, name: pool, path: poolDir });
    // Named, as a lab's base is (content-addressed from its store path, known at check).
    const base = await create("Volume", "base", { uri, pool, source: image, name: `${prefix}base.qcow2` });
    const baseName = String(base.outs.name);
    const basePath = String(base.outs.path);

    // Our provider: 8 overlays, created side by side as the engine does.
    calls.length = 0;
    const ours = await timed(() =>
      Promise.all(
        Array.from({ length: guests }, (_, i) =>
          create("Volume", `overlay${i}`, {
            uri,
            pool,
            name: `${prefix}overlay${i}.qcow2`,
            backingVolume: baseName,
          }),
        ),
      ),
    );
    const oursCalls = calls.filter((c) => c.startsWith("virsh")).length;
    const overlayBytes = ours.value.reduce((n, m) => n + used(String(m.outs.path)), 0);

    // The same volumes by hand: one `virsh vol-create` per volume from a shell script.
    const xmlDir = path.join(work, "raw-xml");
    mkdirSync(xmlDir);
    const capacity = Number(base.outs.capacity);
    const lines = ["#!/bin/sh", "set -e"];
    for (let i = 0; i < guests; i++) {
      const file = path.join(xmlDir, `raw${i}.xml`);
      writeFileSync(
        file,
        volumeXml({
          name: `${prefix}raw${i}.qcow2`,
          capacity,
          format: "qcow2",
          backing: { path: basePath, format: String(base.outs.actualFormat) },
        }),
      );
      lines.push(`virsh -q -c '${uri}' vol-create '${pool}' '${file}'`);
    }
    const script = path.join(work, "raw.sh");
    writeFileSync(script, `${lines.join("\n")}\n`, { mode: 0o755 });
    const raw = await timed(() => execa(script, [], { stdout: "ignore" }));
    for (let i = 0; i < guests; i++) virsh(["vol-delete", `${prefix}raw${i}.qcow2`, "--pool", pool]);

    // Full copies, what a guest disk costs without a backing chain.
    const copies = await timed(async () => {
      for (let i = 0; i < guests; i++)
        virsh(["vol-clone", basePath, `${prefix}copy${i}.qcow2`, "--pool", pool]);
    });
    const copyBytes = Array.from({ length: guests }, (_, i) =>
      used(path.join(poolDir, `${prefix}copy${i}.qcow2`)),
    ).reduce((a, b) => a + b, 0);
    for (let i = 0; i < guests; i++) virsh(["vol-delete", `${prefix}copy${i}.qcow2`, "--pool", pool]);

    // A refresh reads every volume, side by side.
    calls.length = 0;
    const vols = made.filter((m) => m.type === "Volume");
    const read = await timed(() =>
      Promise.all(vols.map((m) => provider.read(m.id, urn(m.type, m.name), m.outs))),
    );
    if (read.value.some((r) => !r.id)) throw new Error("a volume read as gone");
    const readCalls = { all: count(/^virsh/), refresh: count(/^virsh pool-refresh/) };

    // Delete: the overlays side by side, then the base.
    calls.length = 0;
    const overlays = vols.filter((m) => m.name !== "base");
    const del = await timed(async () => {
      await Promise.all(overlays.map((m) => provider.delete(m.id, urn(m.type, m.name), m.outs)));
      await provider.delete(base.id, urn("Volume", "base"), base.outs);
    });
    made.splice(0, made.length, ...made.filter((m) => m.type === "Pool"));
    const delCalls = count(/^virsh/);

    const mib = (b: number) => `${(b / 1024 ** 2).toFixed(1)} MiB`;
    rows.push({
      section: "4",
      what: `${guests} overlays, our provider (side by side, ${oursCalls} virsh calls)`,
      value: fmtS(ours.ms),
    });
    rows.push({
      section: "4",
      what: `${guests} overlays, raw script of virsh vol-create (${guests} virsh calls)`,
      value: fmtS(raw.ms),
      ratio: `ours ${fmtX(ours.ms / raw.ms)}`,
      goal: "ours <= 1.1x raw",
    });
    rows.push({
      section: "4",
      what: `${guests} full copies (virsh vol-clone)`,
      value: fmtS(copies.ms),
      ratio: `${(copies.ms / ours.ms).toFixed(0)}x ours`,
      goal: ">= 20x slower than ours",
    });
    rows.push({
      section: "4",
      what: "disk used: overlays / copies",
      value: `${mib(overlayBytes)} / ${mib(copyBytes)}`,
    });
    rows.push({
      section: "4",
      what: `refresh of ${vols.length} volumes (virsh calls: ${readCalls.all}, pool-refresh: ${readCalls.refresh})`,
      value: fmtS(read.ms),
    });
    rows.push({
      section: "4",
      what: `delete of ${overlays.length} overlays and the base (virsh calls: ${delCalls})`,
      value: fmtS(del.ms),
    });
  } finally {
    for (const m of made.reverse())
      await provider
        .delete(m.id, urn(m.type, m.name), m.outs)
        .catch((e: unknown) => console.error(String(e)));
    const swept = sweepBenchObjects(prefix);
    if (swept.length > 0) console.error(`  swept leftovers: ${swept.join(", ")}`);
    rmSync(work, { recursive: true, force: true });
  }
}
