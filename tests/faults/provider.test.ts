// Faults at the level of single resources, against the real libvirtd and nix: a guest that never
// gets a lease fails with its console in the message and leaves nothing; a read-only share holds
// against guest root; volume sizes do not drift into replacements; concurrent creates in one pool
// all succeed; an interrupted upload is redone; a build whose output is gone is told apart from a
// nix that could not look.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import type { Runner } from "../../provider/exec";
import { buildResource } from "../../provider/nix/build";
import { Engine, removeDomainFiles, urnOf } from "../libvirt/harness";
import { nixEnv } from "../support/env";
import { buildFixtureInitramfs, renderFixtureInit } from "../support/fixture-guest";
import { virsh, waitForConsole } from "../support/libvirt";
import { sweepLibvirtObjects } from "../support/libvirt-objects";
import { testKernel, testPrefix } from "../support/paths";
import { makeWorkDir, removeWorkDir } from "../support/workdir";
import { unusedReadOnlyViews } from "./leaks";

type Props = Record<string, unknown>;

const run = `${testPrefix}pf-`;
const poolName = `${run}pool`;

describe("single-resource faults on qemu:///system", () => {
  const engine = new Engine();
  const made: Props[] = [];
  let work: string;

  beforeAll(async () => {
    work = makeWorkDir("faults-provider");
    await engine.create(urnOf("Pool", "pool"), { name: poolName, path: path.join(work, "pool") });
  });
  afterAll(() => {
    sweepLibvirtObjects(run);
    for (const outs of made) removeDomainFiles(outs);
    removeWorkDir(work);
  });

  test("no DHCP lease within the limit fails the create with the console's tail, leaving nothing", async () => {
    const init = renderFixtureInit({ marker: "NIXLAB-NO-LEASE-BOOTED", poweroff: false });
    const initrd = await buildFixtureInitramfs(path.join(work, "nolease"), testKernel(), init);
    const consoleLog = path.join(work, "nolease.log");
    const name = `${run}nolease`;
    const t0 = Date.now();
    await expect(
      engine.create(urnOf("Domain", "nolease"), {
        name,
        memoryMiB: 256,
        boot: { kernel: testKernel().vmlinuz, initrd, cmdline: "console=ttyS0 quiet" },
        networkInterfaces: [{ network: "default" }],
        consoleLog,
        ipTimeoutSeconds: 90,
        shutdownTimeoutSeconds: 0,
      }),
    ).rejects.toThrow(
      /no DHCP lease for \S+ within ipTimeoutSeconds \(90 s\); the console .* ends with:\n[\s\S]*NIXLAB-NO-LEASE-BOOTED/,
    );
    expect(Date.now() - t0).toBeLessThan(180_000);
    expect((await virsh(["list", "--all", "--name"])).split("\n")).not.toContain(name);
    expect(existsSync(consoleLog)).toBe(false);
  });

  test("a read-only share holds against guest root: writes and a read-write remount fail, the host folder is unchanged", async () => {
    const shared = path.join(work, "shared");
    mkdirSync(shared);
    writeFileSync(path.join(shared, "hello.txt"), "host\n");
    const init = renderFixtureInit({
      marker: "NIXLAB-RO-BOOTED",
      shares: [{ tag: "ro", mountpoint: "/mnt" }],
      commands: [
        "cat /mnt/hello.txt",
        // Guest root does all it can: remount read-write, then write.
        "mount -o remount,rw /mnt 2>&1",
        "echo guest > /mnt/probe && echo NIXLAB-WRITE-WENT-THROUGH || echo NIXLAB-WRITE-REFUSED",
        "echo guest >> /mnt/hello.txt && echo NIXLAB-APPEND-WENT-THROUGH || echo NIXLAB-APPEND-REFUSED",
        "echo NIXLAB-RO-DONE",
      ],
    });
    const initrd = await buildFixtureInitramfs(path.join(work, "ro"), testKernel(), init);
    const consoleLog = path.join(work, "ro.log");
    const dom = await engine.create(urnOf("Domain", "ro"), {
      name: `${run}ro`,
      memoryMiB: 256,
      boot: { kernel: testKernel().vmlinuz, initrd, cmdline: "console=ttyS0 quiet" },
      filesystems: [{ source: shared, tag: "ro", readOnly: true }],
      consoleLog,
      ipTimeoutSeconds: 0,
      shutdownTimeoutSeconds: 0,
    });
    made.push(dom.outs);
    // Served from a read-only bind mount of the folder, not the folder itself.
    const xml = await virsh(["dumpxml", `${run}ro`]);
    expect(xml).not.toContain(`<source dir='${shared}'/>`);
    expect(xml).toMatch(/<source dir='\/run\/nixlab\/ro-shares\/[0-9a-f]{16}-shared'\/>/);
    await waitForConsole(consoleLog, /NIXLAB-RO-DONE/);
    const log = readFileSync(consoleLog, "utf8");
    expect(log).toMatch(/^host$/m);
    expect(log).toContain("NIXLAB-WRITE-REFUSED");
    expect(log).toContain("NIXLAB-APPEND-REFUSED");
    expect(log).not.toMatch(/WENT-THROUGH/);
    expect(readdirSync(shared)).toEqual(["hello.txt"]);
    expect(readFileSync(path.join(shared, "hello.txt"), "utf8")).toBe("host\n");
    // Delete unmounts the view once no domain uses it.
    await engine.delete(urnOf("Domain", "ro"), dom.id, dom.outs);
    expect(unusedReadOnlyViews()).toEqual([]);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toMatch(/ro-shares\/[0-9a-f]{16}-shared /);
  });

  test("a size libvirt rounds up stays what was asked: no drift, no replacement", async () => {
    const news = { pool: poolName, name: `${run}odd.qcow2`, size: 100_000_001 };
    const v = await engine.create(urnOf("Volume", "odd"), news);
    expect(Number(v.outs.capacity)).toBeGreaterThanOrEqual(100_000_001);
    const read = await engine.read(urnOf("Volume", "odd"), v.id, v.outs);
    expect(read.props.size).toBe(100_000_001);
    const d = await engine.diff(urnOf("Volume", "odd"), v.id, read.props, news);
    expect(d.changes).toBe(false);
    await engine.delete(urnOf("Volume", "odd"), v.id, read.props);
  });

  test("eight volumes created at once in one pool all succeed", async () => {
    const vols = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        engine.create(urnOf("Volume", `par${i}`), {
          pool: poolName,
          name: `${run}par${i}.qcow2`,
          size: "16M",
        }),
      ),
    );
    expect(new Set(vols.map((v) => v.outs.path)).size).toBe(8);
    await Promise.all(vols.map((v, i) => engine.delete(urnOf("Volume", `par${i}`), v.id, v.outs)));
    expect(readdirSync(path.join(work, "pool")).filter((f) => f.includes("par"))).toEqual([]);
  });

  test("an interrupted upload (a short volume under the content-addressed name) is uploaded again", async () => {
    const img = path.join(work, "up.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", img, "16M"]);
    execFileSync("qemu-io", ["-c", "write -P 0x33 0 2M", img], { stdio: "ignore" });
    const storeImage = (await execa("nix", ["store", "add-file", img], { env: nixEnv() })).stdout.trim();
    const first = await engine.create(urnOf("Volume", "up"), { pool: poolName, source: storeImage });
    const full = Number(first.outs.allocation);
    // Cut it short, as a killed vol-upload leaves it.
    execFileSync("truncate", ["-s", "65536", String(first.outs.path)]);
    await virsh(["pool-refresh", poolName]);
    const again = await engine.create(urnOf("Volume", "up2"), { pool: poolName, source: storeImage });
    expect(again.outs.path).toBe(first.outs.path);
    expect(again.outs.created).toBe(true);
    expect(readFileSync(String(again.outs.path)).length).toBe(readFileSync(storeImage).length);
    expect(full).toBeGreaterThan(0);
    await engine.delete(urnOf("Volume", "up2"), again.id, again.outs);
  });

  test("a build whose output is gone is dropped with its GC roots; a nix that cannot look is an error", async () => {
    const roots = path.join(work, "roots");
    mkdirSync(roots);
    const gone = "/nix/store/00000000000000000000000000000000-gone";
    const link = path.join(roots, "gone-root");
    // A root that points into the store at a path that is not there any more.
    execFileSync("ln", ["-s", gone, link]);
    const state = {
      flake: "path:/x",
      attribute: "a",
      overrideInputs: {},
      extraArgs: [],
      drvPath: "",
      outPath: gone,
      outputs: { out: gone },
      closureSize: 0,
      narHash: "",
      gcRoots: { out: link },
    };
    const ctx = (runner: Runner) => ({
      urn: "urn:pulumi:t::p::nixlab:nix:Build::b",
      name: "b",
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, status: () => undefined },
      run: runner,
    });
    const realNix: Runner = (cmd, args, opts = {}) =>
      execa(cmd, args, { env: { ...nixEnv(), ...opts.env }, reject: false }).then((r) => ({
        exitCode: r.exitCode ?? -1,
        stdout: String(r.stdout),
        stderr: String(r.stderr),
      }));
    expect(await buildResource.read(ctx(realNix), "id", state)).toBeNull();
    expect(existsSync(link) || readdirSync(roots).length > 0).toBe(false);

    const broken: Runner = async () => ({
      exitCode: 1,
      stdout: "",
      stderr: "error: cannot open connection to remote store 'daemon': Connection refused",
    });
    await expect(buildResource.read(ctx(broken), "id", state)).rejects.toThrow(
      /failed:\n.*Connection refused/,
    );
    rmSync(roots, { recursive: true, force: true });
  });
});
