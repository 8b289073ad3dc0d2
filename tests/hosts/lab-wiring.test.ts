// Which resources a Lab on two hosts registers, with Pulumi's mocks (the real engine runs a lab
// on two hosts in two-hosts.test.ts; NixOS libvirt images cannot be built here, so their wiring
// is shown this way). The host checks are real: a loopback sshd stands in for the far host.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { fakeBootJson, fakeToplevel, mockPulumi, settle, value, volumeOutputs } from "../support/mocks";
import { type LoopbackSshd, labHostSsh, startSshd } from "../support/sshd";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const fakeOut = mkdtempSync(path.join(tmpdir(), "nixlab-hosts-wiring-"));
process.env.NIXLAB_STATE_DIR = path.join(fakeOut, "state");
const toplevel = path.join(fakeOut, "toplevel");
fakeToplevel(
  toplevel,
  fakeBootJson(toplevel, {
    initrd: "/nix/store/00000000000000000000000000000000-initrd/initrd",
    kernelParams: [`init=${toplevel}/init`],
    cmdline: `init=${toplevel}/init`,
    systemName: "demo",
    virtiofs: [
      { tag: "store", mountPoint: "/nix/store" },
      { tag: "modules", mountPoint: "/lib/modules" },
    ],
  }),
);

const { registered, byType } = mockPulumi("test", {
  "nixlab:nix:Build": () => ({ outPath: toplevel }),
  "nixlab:nix:AddPath": (inputs) => ({ storePath: `/nix/store/${"a".repeat(32)}-${String(inputs.name)}` }),
  "nixlab:libvirt:Domain": () => ({ ipAddress: "192.168.122.9" }),
  "nixlab:libvirt:Volume": volumeOutputs,
});

import { ControllerHost } from "../../components/controller-host";
import { ImagelessGuest } from "../../components/imageless-guest";
import { Lab } from "../../components/lab";
import { NixosClosure } from "../../components/nixos-closure";

jest.setTimeout(120_000);
/** A secret input as the mocks see it: wrapped (once or more) with Pulumi's secret signature. */
const unsecret = (v: unknown): unknown => {
  const o = v as Record<string, unknown> | undefined;
  return o && o["4dabf18193072939515e22adb298388d"] !== undefined ? unsecret(o.value) : v;
};

describe("a Lab on two hosts (mocks)", () => {
  let work: string;
  let sshd: LoopbackSshd;
  beforeAll(async () => {
    work = makeWorkDir("hosts-wiring");
    sshd = await startSshd(path.join(work, "sshd"));
  });
  afterAll(async () => {
    await sshd?.stop();
    removeWorkDir(work);
    rmSync(fakeOut, { recursive: true, force: true });
  });

  test("per host: pool, network, images; copies of closures and kernel to the far host, shared; ssh inputs", async () => {
    const farUri = `qemu+ssh://${sshd.user}@127.0.0.1:${sshd.port}/system`;
    const key = readFileSync(sshd.identityFile, "utf8");
    const lab = await Lab.create(
      "lab",
      {
        sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPleaseReplaceThisWithYourOwnPublicKeyNixlab lab"],
        hosts: [
          { name: "here", capacity: { vcpus: 1, memoryMiB: 2048 } },
          {
            name: "far",
            ssh: labHostSsh(sshd),
            capacity: { vcpus: 4, memoryMiB: 8192 },
            pool: { path: "/srv/nixlab" },
          },
        ],
        guests: [
          {
            name: "lv",
            count: 2,
            backend: "libvirt",
            vcpus: 1,
            memoryMiB: 2048,
            drives: [{ name: "scratch", size: "1G" }],
            closure: { spec: { profiles: ["devel"] } },
          },
          {
            name: "im",
            count: 2,
            backend: "imageless",
            vcpus: 1,
            memoryMiB: 256,
            closure: { demoFixture: true },
          },
        ],
      },
      undefined,
      { hostKeys: pulumi.secret({ far: key }) },
    );
    const hosts = Object.fromEntries(
      await Promise.all(Object.entries(lab.guests).map(async ([n, g]) => [n, await value(g.host)])),
    );
    // lv-1 (2048 MiB) fills "here"; lv-2 and the small guests go to "far".
    expect(hosts).toEqual({ "lv-1": "here", "lv-2": "far", "im-1": "far", "im-2": "far" });
    await value(lab.guests["im-2"]?.ipAddress ?? pulumi.output(""));
    await settle(100);

    const pools = byType("nixlab:libvirt:Pool").map((p) => p.inputs);
    expect(pools).toEqual([
      expect.objectContaining({
        uri: "qemu:///system",
        name: "nixlab-test",
        path: "/var/lib/nixlab/pools/test",
      }),
      expect.objectContaining({ uri: farUri, name: "nixlab-test", path: "/srv/nixlab" }),
    ]);
    // Everything on the far host carries its ssh settings: the key (secret) and the pinned host key.
    const far = registered.filter((r) => r.inputs.uri === farUri);
    expect(far.length).toBeGreaterThan(5);
    for (const r of far)
      expect(unsecret(r.inputs.ssh)).toMatchObject({
        privateKey: key,
        knownHosts: readFileSync(sshd.knownHostsFile, "utf8"),
      });
    expect(
      registered.filter((r) => r.inputs.uri === "qemu:///system").every((r) => r.inputs.ssh === undefined),
    ).toBe(true);

    // The libvirt guests' image: uploaded once per host, overlays in each host's pool.
    const volumes = byType("nixlab:libvirt:Volume").map((v) => v.inputs);
    expect(volumes.filter((v) => v.source).map((v) => v.uri)).toEqual(["qemu:///system", farUri]);
    expect(volumes.filter((v) => v.backingVolume).map((v) => [v.name, v.uri])).toEqual([
      ["lv-1-root.qcow2", "qemu:///system"],
      ["lv-2-root.qcow2", farUri],
    ]);
    // Copies: the imageless closure once for both guests there, the kernel image and modules once.
    const copies = byType("nixlab:nix:Copy");
    expect(copies.map((c) => c.name).sort()).toEqual([
      "lab-far-closure-im",
      expect.stringMatching(/^lab-far-kernel-image-/),
      expect.stringMatching(/^lab-far-kernel-modules-/),
    ]);
    for (const c of copies) {
      expect(c.inputs.to).toBe(`ssh-ng://${sshd.user}@127.0.0.1`);
      expect(unsecret(c.inputs.ssh)).toMatchObject({ port: sshd.port, privateKey: key });
    }
    expect(byType("nixlab:nix:AddPath").map((a) => a.inputs.name)).toEqual([
      "nixlab-kernel-image",
      "nixlab-kernel-modules",
    ]);
    const im = byType("nixlab:libvirt:Domain").find((d) => d.name === "im-1")?.inputs as {
      uri: string;
      boot: { kernel: string };
      filesystems: { tag: string; source: string }[];
    };
    expect(im.uri).toBe(farUri);
    expect(im.boot.kernel).toBe(`/nix/store/${"a".repeat(32)}-nixlab-kernel-image`);
    expect(im.filesystems.find((f) => f.tag === "modules")?.source).toBe(
      `/nix/store/${"a".repeat(32)}-nixlab-kernel-modules`,
    );
  });

  test("a guest with a suite on an ssh host is refused (its suite run could not reach it)", async () => {
    const far = {
      name: "far",
      ssh: labHostSsh(sshd),
      capacity: { vcpus: 4, memoryMiB: 8192 },
    };
    const guest = {
      name: "t",
      backend: "imageless",
      memoryMiB: 256,
      closure: { demoFixture: true },
      suite: { name: "fstests" },
    };
    await expect(Lab.create("lab", { hosts: [far], guests: [guest] })).rejects.toThrow(
      "nixlab:lab.guests[0]: t runs fstests but is placed on far, reached over SSH; suite runs reach their guests from this machine",
    );
  });

  test("examples/controller: a guest on a ControllerHost gets its closure and kernel copied there after the activation", async () => {
    registered.length = 0;
    const controller = new ControllerHost("ctl", {
      connection: {
        host: "10.0.0.9",
        user: "root",
        privateKey: pulumi.secret("KEY"),
        knownHosts: "10.0.0.9 ssh-ed25519 AAAA",
      },
      closure: "/nix/store/00000000000000000000000000000000-controller",
    });
    const guest = new ImagelessGuest("guest", {
      host: controller.host,
      closure: new NixosClosure("guest", {
        source: { flake: "path:/srv/guest", attribute: "x" },
        imageless: true,
      }),
      kernel: { flake: "path:/srv/nixlab", attribute: "packages.x86_64-linux.kernel" },
    });
    await value(guest.ipAddress);
    await settle(100);
    const copies = byType("nixlab:nix:Copy").map((c) => [c.name, c.inputs.to]);
    expect(copies).toEqual([
      ["ctl-closure", "ssh-ng://root@10.0.0.9"],
      ["ctl-ctl-closure-guest", "ssh-ng://root@10.0.0.9"],
      [expect.stringMatching(/^ctl-ctl-kernel-[0-9a-f]{10}$/), "ssh-ng://root@10.0.0.9"],
    ]);
    const domain = byType("nixlab:libvirt:Domain")[0]?.inputs as {
      uri: string;
      ssh: unknown;
      boot: { kernel: string };
    };
    expect(domain.uri).toBe("qemu+ssh://root@10.0.0.9/system");
    expect(unsecret(domain.ssh)).toMatchObject({
      privateKey: "KEY",
      knownHosts: "10.0.0.9 ssh-ed25519 AAAA",
    });
    expect(domain.boot.kernel).toBe(`${toplevel}/bzImage`);
    // Its domain waits for these two copies (closure, kernel); they wait for the activation.
    expect(guest.copies).toHaveLength(2);
  });
});
