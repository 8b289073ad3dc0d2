// Component wiring with Pulumi's mocks: which resources a Lab, an ImagelessGuest, a LibvirtGuest
// and a ControllerHost register, and with what inputs. (The real engine runs them in tests/engine.)
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { fakeBootJson, fakeToplevel, mockPulumi, settle, value, volumeOutputs } from "../support/mocks";

const fakeOut = mkdtempSync(path.join(tmpdir(), "nixlab-wiring-"));
const stateDir = path.join(fakeOut, "state");
afterAll(() => rmSync(fakeOut, { recursive: true, force: true }));
process.env.NIXLAB_STATE_DIR = stateDir;

// A "built" imageless toplevel with a boot.json that also asks for a share tag "linux".
const toplevel = path.join(fakeOut, "toplevel");
const guestBoot = fakeBootJson(toplevel, {
  initrd: "/nix/store/00000000000000000000000000000000-initrd/initrd",
  kernelParams: ["root=tmpfs", `init=${toplevel}/init`],
  systemName: "guest",
  nixosVersion: "25.11",
  virtiofs: [
    { tag: "modules", mountPoint: "/lib/modules" },
    { tag: "store", mountPoint: "/nix/store" },
    { tag: "linux", mountPoint: "/src/linux" },
  ],
});
fakeToplevel(toplevel, guestBoot);

// The demo fixture's toplevel: store and modules only.
const demoToplevel = fakeToplevel(path.join(fakeOut, "demo-toplevel"), {
  ...guestBoot,
  virtiofs: guestBoot.virtiofs.filter((v) => v.tag !== "linux"),
});

const { registered, byType } = mockPulumi("test", {
  "nixlab:nix:Build": (inputs) => ({
    outPath: String(inputs.flake).endsWith("/demo-closure") ? demoToplevel : toplevel,
  }),
  "nixlab:libvirt:Domain": (inputs) => ({
    ipAddress: "192.168.122.50",
    consoleLogPath: `/var/log/libvirt/qemu/${String(inputs.name)}-console.log`,
  }),
  "nixlab:libvirt:Volume": volumeOutputs,
});

import { ControllerHost, ImagelessGuest, Lab, NixosClosure } from "../../components";
import { virtiofsSources } from "../../components/imageless-guest";
import { ConfigError } from "../../components/validate";

jest.setTimeout(30_000);

beforeEach(() => {
  registered.length = 0;
});

describe("ImagelessGuest", () => {
  test("boots the closure's initrd and cmdline with the kernel, and attaches every virtiofs tag of boot.json", async () => {
    const closure = new NixosClosure("g", {
      source: { flake: "path:/srv/lab", attribute: "x" },
      imageless: true,
    });
    const guest = new ImagelessGuest("g", {
      closure,
      kernel: { bzImage: "/srv/k/bzImage", modulesDir: "/srv/k/lib/modules" },
      shares: { linux: "/home/u/linux" },
      extraKernelParams: ["nokaslr"],
      memoryMiB: 1024,
    });
    expect(await value(guest.ipAddress)).toBe("192.168.122.50");
    expect(await value(guest.sshCommand)).toBe("ssh root@192.168.122.50");
    await settle();
    const [domain] = byType("nixlab:libvirt:Domain");
    expect(domain?.inputs).toMatchObject({
      name: "g",
      memoryMiB: 1024,
      boot: {
        kernel: "/srv/k/bzImage",
        initrd: "/nix/store/00000000000000000000000000000000-initrd/initrd",
        cmdline: `root=tmpfs init=${toplevel}/init nokaslr`,
      },
      filesystems: [
        { tag: "modules", source: "/srv/k/lib/modules" },
        { tag: "store", source: "/nix/store" },
        { tag: "linux", source: "/home/u/linux" },
      ],
      networkInterfaces: [{ network: "default" }],
    });
    const script = await value(guest.runScript);
    expect(script).toContain("-kernel /srv/k/bzImage");
    expect(script).toContain("-device vhost-user-fs-pci,chardev=fs2,tag=linux");
  });

  test("a boot.json tag without a share is an error naming the tag", () => {
    const boot = JSON.parse(readFileSync(path.join(toplevel, "boot.json"), "utf8"));
    expect(() => virtiofsSources(boot, "/m", {})).toThrow(
      'guest mounts virtiofs tag "linux" at /src/linux, but shares has no "linux"',
    );
    expect(virtiofsSources(boot, "/m", { linux: "/src" }).map((f) => f.source)).toEqual([
      "/m",
      "/nix/store",
      "/src",
    ]);
  });
});

describe("Lab", () => {
  test("the demo guest: the fixture flake with the host's busybox and boot modules, booted from the cached kernel", async () => {
    const lab = await Lab.create("lab", {
      guests: [{ name: "nixlab-demo", backend: "imageless", memoryMiB: 512, closure: { demoFixture: true } }],
    });
    expect(Object.keys(lab.guests)).toEqual(["nixlab-demo"]);
    await value(lab.guests["nixlab-demo"]?.ipAddress ?? pulumi.output(""));
    await settle();
    expect(byType("nixlab:libvirt:Network")[0]?.inputs).toMatchObject({ name: "default", existing: true });
    expect(byType("nixlab:libvirt:Pool")).toEqual([]);
    const build = byType("nixlab:nix:Build")[0]?.inputs;
    expect(build?.flake).toMatch(/^path:\/.*\/examples\/demo-closure$/);
    expect(build?.extraArgs).toEqual(["--no-write-lock-file"]);
    expect(Object.keys(build?.overrideInputs as object).sort()).toEqual(["bootModules", "busybox", "sshd"]);
    const domain = byType("nixlab:libvirt:Domain")[0]?.inputs as {
      boot: { kernel: string };
      memoryMiB: number;
    };
    expect(domain.boot.kernel).toMatch(/\/kernel\/linux-image-[^/]+\/vmlinu[zx]$/);
    expect(domain.memoryMiB).toBe(512);
  });

  test("libvirt guests from a spec: one image, overlays per instance, test drives, a generated flake", async () => {
    const lab = await Lab.create("lab", {
      sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPleaseReplaceThisWithYourOwnPublicKeyNixlab lab"],
      pool: { name: "lab-pool", path: "/var/lib/nixlab/lab-pool" },
      suiteRun: { enabled: false },
      guests: [
        {
          name: "fst",
          count: 2,
          backend: "libvirt",
          drives: [{ name: "scratch", size: "10G", bus: "nvme" }],
          suite: { name: "fstests", section: "xfs_crc" },
          closure: {
            spec: { profiles: ["devel"], storage: { "/media/test": { device: "/dev/vdb", fsType: "xfs" } } },
          },
        },
      ],
    });
    expect(Object.keys(lab.guests)).toEqual(["fst-1", "fst-2"]);
    await value(lab.guests["fst-2"]?.ipAddress ?? pulumi.output(""));
    await settle();
    expect(byType("nixlab:libvirt:Pool")[0]?.inputs).toMatchObject({
      name: "lab-pool",
      path: "/var/lib/nixlab/lab-pool",
    });
    const volumes = byType("nixlab:libvirt:Volume").map((v) => v.inputs);
    expect(volumes.filter((v) => v.source)).toEqual([
      expect.objectContaining({ source: `${toplevel}/nixos.qcow2`, format: "qcow2", pool: "lab-pool" }),
    ]);
    expect(volumes.filter((v) => v.backingVolume).map((v) => v.name)).toEqual([
      "fst-1-root.qcow2",
      "fst-2-root.qcow2",
    ]);
    expect(volumes.filter((v) => v.size).map((v) => v.name)).toEqual([
      "fst-1-scratch.qcow2",
      "fst-2-scratch.qcow2",
    ]);
    const disks = byType("nixlab:libvirt:Domain").map((d) =>
      (d.inputs.disks as { volume: string; bus: string }[]).map((x) => `${x.volume}/${x.bus}`),
    );
    expect(disks).toEqual([
      ["fst-1-root.qcow2/virtio", "fst-1-scratch.qcow2/nvme"],
      ["fst-2-root.qcow2/virtio", "fst-2-scratch.qcow2/nvme"],
    ]);
    const build = byType("nixlab:nix:Build")[0]?.inputs as { flake: string; attribute: string };
    expect(build.attribute).toBe('nixosConfigurations."fst".config.system.build.qcow2');
    const dir = build.flake.replace(/^path:/, "");
    expect(JSON.parse(readFileSync(path.join(dir, "spec.json"), "utf8"))).toMatchObject({
      backend: "libvirt",
      hostName: "fst",
      profiles: ["devel"],
      testSuites: ["fstests"],
      sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPleaseReplaceThisWithYourOwnPublicKeyNixlab lab"],
    });
    expect(readFileSync(path.join(dir, "flake.nix"), "utf8")).toContain(
      "nixlab.lib.mkSystem { spec = ./spec.json; }",
    );
  });

  test("an invalid config throws every problem and registers nothing", async () => {
    await expect(
      Lab.create("bad", { guests: [{ name: "X", backend: "qemu", closure: {} }] }),
    ).rejects.toThrow(ConfigError);
    expect(registered).toEqual([]);
  });
});

describe("ControllerHost", () => {
  test("copies the closure over ssh-ng, activates it after the copy, and exposes qemu+ssh", async () => {
    const host = new ControllerHost("ctl", {
      connection: { host: "ctl.example", user: "root", port: 2222, identityFile: "/home/u/.ssh/id_ed25519" },
      closure: "/nix/store/00000000000000000000000000000000-system",
      confirmTimeoutSeconds: 90,
    });
    expect(await value(host.libvirtUri)).toBe(
      "qemu+ssh://root@ctl.example:2222/system?keyfile=%2Fhome%2Fu%2F.ssh%2Fid_ed25519",
    );
    await value(host.closurePath);
    await settle();
    expect(byType("nixlab:nix:Copy")[0]?.inputs).toMatchObject({
      storePath: "/nix/store/00000000000000000000000000000000-system",
      to: "ssh-ng://root@ctl.example",
    });
    expect(byType("nixlab:host:Activation")[0]?.inputs).toMatchObject({
      closure: "/nix/store/00000000000000000000000000000000-system",
      confirmTimeoutSeconds: 90,
    });
  });
});
