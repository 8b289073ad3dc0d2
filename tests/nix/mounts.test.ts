// nix/lib/mounts.nix: the shares and storage DSLs -> fileSystems, systemd units and
// assertions; and the mkfs script run against stand-in blkid/mkfs programs.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { nixEval, nixEvalError, run } from "./nix-eval";

const storage = {
  "/mnt/my-scratch": {
    device: "/dev/disk/by-id/virtio-scratch",
    fsType: "xfs",
    mkfsArgs: ["-f", "-m", "reflink=1"],
  },
  "/mnt/test": { device: "/dev/vdb", fsType: "ext4", autoFormat: true, options: ["noatime"] },
  "/mnt/a b": { device: "/dev/vdc", fsType: "btrfs", mkfsArgs: [] },
};

interface Service {
  after: string[];
  bindsTo: string[];
  before: string[];
  requiredBy: string[];
  description: string;
  script: string;
  serviceConfig: Record<string, unknown>;
  unitConfig: Record<string, unknown>;
}

describe("mounts.nix: shares", () => {
  test("become virtiofs fileSystems keyed by normalised mount point", async () => {
    const got = await nixEval("nixlab.mounts.sharesToFileSystems", {
      "/src/linux": { tag: "linux" },
      "/mnt/a b/": { tag: "data", options: ["ro"] },
    });
    expect(got).toEqual({
      "/mnt/a b": { device: "data", fsType: "virtiofs", options: ["ro"] },
      "/src/linux": { device: "linux", fsType: "virtiofs", options: ["defaults"] },
    });
  });

  test("an empty tag is rejected, naming the share", async () => {
    const stderr = await nixEvalError("nixlab.mounts.sharesToFileSystems", { "/src": { tag: "" } });
    expect(stderr).toContain('shares."/src".tag: must be a non-empty string');
  });
});

describe("mounts.nix: storage", () => {
  test("fileSystems: one per entry, options defaulting to defaults", async () => {
    const got = await nixEval("s: (nixlab.mounts.storageToConfig s).fileSystems", storage);
    expect(got).toEqual({
      "/mnt/a b": { device: "/dev/vdc", fsType: "btrfs", autoFormat: false, options: ["defaults"] },
      "/mnt/my-scratch": {
        device: "/dev/disk/by-id/virtio-scratch",
        fsType: "xfs",
        autoFormat: false,
        options: ["defaults"],
      },
      "/mnt/test": { device: "/dev/vdb", fsType: "ext4", autoFormat: true, options: ["noatime"] },
    });
  });

  test("a mkfs service only where mkfsArgs is set, ordered device -> format -> mount", async () => {
    const services = await nixEval<Record<string, Service>>(
      "s: (nixlab.mounts.storageToConfig s).services",
      storage,
    );
    expect(Object.keys(services).sort()).toEqual([
      "nixlab-mkfs-mnt-a\\x20b",
      "nixlab-mkfs-mnt-my\\x2dscratch",
    ]);
    const { script, ...scratch } = services["nixlab-mkfs-mnt-my\\x2dscratch"] as Service;
    expect(scratch).toEqual({
      description:
        "nixlab: format /dev/disk/by-id/virtio-scratch for /mnt/my-scratch unless it already holds a signature",
      after: ["dev-disk-by\\x2did-virtio\\x2dscratch.device"],
      bindsTo: ["dev-disk-by\\x2did-virtio\\x2dscratch.device"],
      before: ["mnt-my\\x2dscratch.mount"],
      requiredBy: ["mnt-my\\x2dscratch.mount"],
      unitConfig: { DefaultDependencies: false },
      serviceConfig: { Type: "oneshot", RemainAfterExit: true },
    });
    expect(script).toContain('blkid --probe "$dev"');
    expect(script).toContain("exec 'mkfs.xfs' '-f' '-m' 'reflink=1' '/dev/disk/by-id/virtio-scratch'\n");
    const spaced = services["nixlab-mkfs-mnt-a\\x20b"] as Service;
    expect([spaced.after, spaced.before]).toEqual([["dev-vdc.device"], ["mnt-a\\x20b.mount"]]);
    expect(spaced.script).toContain("exec 'mkfs.btrfs' '/dev/vdc'\n");
  });

  test("mkfsArgs with autoFormat fails an assertion that names the entry", async () => {
    const got = await nixEval("nixlab.mounts.storageAssertions", {
      "/mnt/x": { device: "/dev/vdb", fsType: "ext4", mkfsArgs: ["-F"], autoFormat: true },
      "/mnt/y": { device: "/dev/vdc", fsType: "xfs", mkfsArgs: null, autoFormat: true },
    });
    expect(got).toEqual([
      {
        assertion: false,
        message:
          'nixlab.storage."/mnt/x": mkfsArgs and autoFormat cannot be used together: autoFormat formats through systemd-makefs, which takes no mkfs arguments; set mkfsArgs (nixlab formats the device with them) or autoFormat, not both',
      },
      {
        assertion: true,
        message:
          'nixlab.storage."/mnt/y": mkfsArgs and autoFormat cannot be used together: autoFormat formats through systemd-makefs, which takes no mkfs arguments; set mkfsArgs (nixlab formats the device with them) or autoFormat, not both',
      },
    ]);
  });

  test("a device that is not a path is rejected, naming the field", async () => {
    const stderr = await nixEvalError("s: (nixlab.mounts.storageToConfig s).fileSystems", {
      "/mnt/x": { device: "vdb", fsType: "xfs" },
    });
    expect(stderr).toContain(
      'storage."/mnt/x".device: expected a device path such as /dev/vdb or /dev/disk/by-id/..., got "vdb"',
    );
  });
});

describe("mounts.nix: the mkfs script", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "nixlab-mkfs-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // Runs the service's script with bash -e (as NixOS does), blkid exiting with
  // `blkidStatus` and a mkfs.xfs that records its arguments.
  async function runScript(blkidStatus: number): Promise<{ code: number; mkfsCalls: string }> {
    const script = await nixEval<string>(
      's: nixlab.mounts.mkfsScript { device = "/dev/vdz"; fsType = "xfs"; mkfsArgs = s; }',
      ["-f", "-L", "it's"],
    );
    const calls = path.join(dir, "calls");
    writeFileSync(calls, "");
    writeFileSync(path.join(dir, "blkid"), `#!/bin/sh\nexit ${blkidStatus}\n`);
    writeFileSync(path.join(dir, "mkfs.xfs"), `#!/bin/sh\nprintf '%s|' "$@" >> '${calls}'\n`);
    chmodSync(path.join(dir, "blkid"), 0o755);
    chmodSync(path.join(dir, "mkfs.xfs"), 0o755);
    const result = await run("bash", ["-e", "-c", script], {
      env: { PATH: `${dir}:${process.env.PATH ?? ""}` },
    });
    return { code: result.code, mkfsCalls: readFileSync(calls, "utf8") };
  }

  test("a device with a signature (blkid exit 0) is never formatted", async () => {
    expect(await runScript(0)).toEqual({ code: 0, mkfsCalls: "" });
  });

  test("a blank device (blkid exit 2) is formatted with the arguments, quoted", async () => {
    expect(await runScript(2)).toEqual({ code: 0, mkfsCalls: "-f|-L|it's|/dev/vdz|" });
  });

  test("when blkid cannot tell (other exit codes) the unit fails and nothing is formatted", async () => {
    expect(await runScript(4)).toEqual({ code: 1, mkfsCalls: "" });
  });
});
