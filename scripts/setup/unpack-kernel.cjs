#!/usr/bin/env node
// unpack-kernel.cjs BZIMAGE OUT: write the ELF vmlinux packed (xz) inside a bzImage to OUT, when
// that ELF has a PVH entry point (an ELF note "Xen", type 18: XEN_ELFNOTE_PHYS32_ENTRY). QEMU
// boots such a vmlinux directly, without the firmware's real-mode set-up and the decompression,
// which under TCG are half of a small guest's boot. Exits 0 having written OUT, 3 when the kernel
// is not xz-packed or has no PVH entry (nothing written), 1 on errors. Plain Node.js: it runs in
// the set-up before node_modules exist.
const { spawnSync } = require("node:child_process");
const { readFileSync, renameSync, writeFileSync, rmSync } = require("node:fs");

const [bzImage, out] = process.argv.slice(2);
if (!bzImage || !out) {
  console.error("usage: unpack-kernel.cjs BZIMAGE OUT");
  process.exit(1);
}

/** Does this ELF64 (little-endian) carry the PVH entry note? */
function hasPvhEntry(elf) {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  const align4 = (n) => (n + 3) & ~3;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + 0x28 > elf.length || elf.readUInt32LE(ph) !== 4) continue; // PT_NOTE
    const start = Number(elf.readBigUInt64LE(ph + 0x08));
    const end = Math.min(elf.length, start + Number(elf.readBigUInt64LE(ph + 0x20)));
    for (let at = start; at + 12 <= end; ) {
      const namesz = elf.readUInt32LE(at);
      const descsz = elf.readUInt32LE(at + 4);
      const type = elf.readUInt32LE(at + 8);
      const name = elf
        .subarray(at + 12, at + 12 + namesz)
        .toString("latin1")
        .replace(/\0+$/, "");
      if (name === "Xen" && type === 18) return true;
      at += 12 + align4(namesz) + align4(descsz);
    }
  }
  return false;
}

const packed = readFileSync(bzImage);
const at = packed.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
if (at < 0) process.exit(3);
// xz stops at the end of its stream and complains about the bytes after it: the output is whole.
const r = spawnSync("xz", ["-dc", "-q"], { input: packed.subarray(at), maxBuffer: 1024 ** 3 });
if (r.error) {
  console.error(`unpack-kernel: xz: ${r.error.message}`);
  process.exit(1);
}
const elf = r.stdout;
if (!hasPvhEntry(elf)) process.exit(3);
const tmp = `${out}.tmp-${process.pid}`;
try {
  writeFileSync(tmp, elf, { mode: 0o644 });
  renameSync(tmp, out);
} catch (err) {
  rmSync(tmp, { force: true });
  console.error(`unpack-kernel: ${err.message}`);
  process.exit(1);
}
