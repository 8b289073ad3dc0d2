// The run script an ImagelessGuest outputs boots the guest without libvirt: real QEMU (TCG) and
// virtiofsd, the demo fixture closure, the cached kernel. The guest prints its marker and gets a
// lease from QEMU's user-mode network.
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { readBootJson } from "../../components/boot-json";
import { virtiofsSources } from "../../components/imageless-guest";
import { closureSource } from "../../components/lab";
import { labConfig } from "../../components/lab-config";
import { hostCachedKernel } from "../../components/locations";
import { renderRunScript } from "../../components/run-script";
import { buildOut } from "../support/nix-fixture";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

describe("run script (QEMU + virtiofsd, no libvirt)", () => {
  let work: string;
  beforeAll(() => {
    work = makeWorkDir("run-script");
  });
  afterAll(() => removeWorkDir(work));

  test("boots the demo closure to its marker and a user-mode network lease", async () => {
    const lab = labConfig.parse({
      guests: [{ name: "demo", backend: "imageless", closure: { demoFixture: true } }],
    });
    const guest = lab.guests[0];
    if (!guest) throw new Error("no guest");
    const src = closureSource(guest, lab) as {
      flake: string;
      attribute: string;
      overrideInputs: Record<string, string>;
      extraArgs: string[];
    };
    const overrides = Object.entries(src.overrideInputs).flatMap(([k, v]) => ["--override-input", k, v]);
    const toplevel = await buildOut(`${src.flake}#${src.attribute}`, [...src.extraArgs, ...overrides]);
    const boot = readBootJson(toplevel);
    const kernel = hostCachedKernel();
    const script = renderRunScript({
      name: "demo",
      kernel: kernel.bzImage,
      initrd: boot.initrd,
      cmdline: boot.cmdline,
      memoryMiB: 512,
      vcpus: 1,
      shares: virtiofsSources(boot, kernel.modulesDir, {}),
    });
    const file = path.join(work, "run-demo.sh");
    writeFileSync(file, script, { mode: 0o755 });

    const child = execa("bash", [file], { reject: false, detached: true, stdin: "ignore", all: true });
    let console = "";
    const seen = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no lease within 120 s; console:\n${console.slice(-2000)}`)),
        120_000,
      );
      child.all?.on("data", (chunk: Buffer) => {
        console += chunk.toString();
        const m = /NIXLAB-DEMO-IP (\S+)\r?\n/.exec(console);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    try {
      expect(await seen).toBe("10.0.2.15");
      expect(console).toMatch(/NIXLAB-DEMO-BOOTED nixlab-demo/);
    } finally {
      if (child.pid) process.kill(-child.pid, "SIGTERM");
      await child;
    }
  });
});
