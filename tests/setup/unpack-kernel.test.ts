// scripts/setup/unpack-kernel.cjs: the ELF inside the cached Debian bzImage, written only when it
// has a PVH entry point (the note QEMU boots it by); anything else is left alone.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { repoRoot, testKernel } from "../support/paths";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const script = path.join(repoRoot, "scripts", "setup", "unpack-kernel.cjs");
const unpack = (from: string, to: string) => spawnSync("node", [script, from, to], { encoding: "utf8" });

describe("unpack-kernel.cjs", () => {
  let work: string;
  beforeAll(() => {
    work = makeWorkDir("unpack-kernel");
  });
  afterAll(() => removeWorkDir(work));

  test("the cached kernel: an ELF with the PVH entry note (Xen, type 0x12), and no temporary file left", () => {
    const out = path.join(work, "vmlinux");
    const r = unpack(testKernel().vmlinuz, out);
    expect(r.status).toBe(0);
    expect(readFileSync(out).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    const notes = spawnSync("readelf", ["-n", out], { encoding: "utf8" }).stdout;
    expect(notes).toMatch(/Xen\s+0x[0-9a-f]+\s+Unknown note type: \(0x00000012\)/);
    expect(readdirSync(work)).toEqual(["vmlinux"]);
  });

  test("no xz stream, or an ELF without the PVH note: exit 3 and nothing written", () => {
    const plain = path.join(work, "plain");
    writeFileSync(plain, "not a kernel");
    expect(unpack(plain, path.join(work, "out-1")).status).toBe(3);
    // An xz-packed ELF of no kernel (true(1)) behind some bytes, as a bzImage carries its payload.
    const xz = spawnSync("xz", ["-c", "-0", "/usr/bin/true"], { maxBuffer: 1024 ** 3 });
    const fake = path.join(work, "fake-bzImage");
    writeFileSync(fake, Buffer.concat([Buffer.from("setup code"), xz.stdout]));
    expect(unpack(fake, path.join(work, "out-2")).status).toBe(3);
    expect(existsSync(path.join(work, "out-1")) || existsSync(path.join(work, "out-2"))).toBe(false);
  });
});
