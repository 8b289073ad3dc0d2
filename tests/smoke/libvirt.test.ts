// libvirt (qemu:///system, TCG) boots the cached Debian kernel with a fixture initramfs; the guest
// prints a marker on its serial console, mounts a virtiofs share and prints a file from it.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { buildFixtureInitramfs, renderFixtureInit } from "../support/fixture-guest";
import { smokeDomainXml, virsh, waitForConsole } from "../support/libvirt";
import { testKernel, testPrefix } from "../support/paths";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

describe("libvirt + QEMU (TCG) + virtiofs", () => {
  const name = `${testPrefix}smoke`;
  let work: string;
  beforeAll(() => {
    work = makeWorkDir("libvirt-smoke");
  });
  afterAll(async () => {
    await virsh(["destroy", name]).catch(() => undefined);
    removeWorkDir(work);
  });

  test("boots the test kernel to a marker and reads a file over virtiofs", async () => {
    const kernel = testKernel();
    // QEMU runs as libvirt-qemu and cannot enter /root, where the kernel is cached.
    const vmlinuz = path.join(work, "vmlinuz");
    copyFileSync(kernel.vmlinuz, vmlinuz);
    const share = path.join(work, "share");
    const token = `virtiofs-${Date.now()}`;
    mkdirSync(share);
    writeFileSync(path.join(share, "hello.txt"), `${token}\n`);
    const init = renderFixtureInit({
      marker: "NIXLAB-SMOKE-BOOTED",
      shares: [{ tag: "hostshare", mountpoint: "/mnt" }],
      commands: ['echo "SHARE: $(cat /mnt/hello.txt)"'],
    });
    const initrd = await buildFixtureInitramfs(work, kernel, init);
    const consoleLog = path.join(work, "console.log");
    const xmlFile = path.join(work, "domain.xml");
    writeFileSync(
      xmlFile,
      smokeDomainXml({
        name,
        kernel: vmlinuz,
        initrd,
        cmdline: "console=ttyS0 panic=-1 quiet",
        consoleLog,
        shares: [{ source: share, tag: "hostshare" }],
      }),
    );

    const t0 = Date.now();
    await virsh(["create", xmlFile]);
    await waitForConsole(consoleLog, /NIXLAB-SMOKE-BOOTED/);
    const bootMs = Date.now() - t0;
    const m = await waitForConsole(consoleLog, /SHARE: (\S+)/);
    expect(m[1]).toBe(token);
    console.info(`TCG boot to marker: ${bootMs} ms`);
  });
});
