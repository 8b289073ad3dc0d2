// nix/lib/boot.nix: the imageless kernel command line and the boot.json document.
import { nixEval, nixEvalError } from "./nix-eval";

const toplevel = "/nix/store/00000000000000000000000000000000-nixos-system-guest-25.11";

describe("boot.nix", () => {
  test("kernel parameters: the imageless ones first, then boot.kernelParams in order", async () => {
    const got = await nixEval("nixlab.boot.kernelParams", {
      toplevel,
      extraParams: ["root=fstab", "loglevel=4", 'dyndbg="file x.c +p"'],
    });
    expect(got).toEqual([
      "root=tmpfs",
      "console=ttyS0,115200",
      "console=hvc0",
      `init=${toplevel}/init`,
      "root=fstab",
      "loglevel=4",
      'dyndbg="file x.c +p"',
    ]);
  });

  test("a parameter with bare whitespace is rejected", async () => {
    const stderr = await nixEvalError("nixlab.boot.kernelParams", {
      toplevel,
      extraParams: ["quiet", "a b"],
    });
    expect(stderr).toContain(
      'kernelParams: "a b" is not a valid kernel parameter (no whitespace except inside double quotes)',
    );
  });

  test("boot.json: the exact document", async () => {
    const got = await nixEval("nixlab.boot.bootJson", {
      toplevel,
      initrd: "/nix/store/11111111111111111111111111111111-initrd-linux/initrd",
      extraParams: ["root=fstab", "nokaslr"],
      systemName: "guest",
      nixosVersion: "25.11.20251120.abcdef0",
      virtiofs: { "/nix/store": "store", "/lib/modules": "modules", "/src/my-linux/": "linux" },
    });
    expect(got).toEqual({
      version: 1,
      toplevel,
      init: `${toplevel}/init`,
      initrd: "/nix/store/11111111111111111111111111111111-initrd-linux/initrd",
      kernelParams: [
        "root=tmpfs",
        "console=ttyS0,115200",
        "console=hvc0",
        `init=${toplevel}/init`,
        "root=fstab",
        "nokaslr",
      ],
      cmdline: `root=tmpfs console=ttyS0,115200 console=hvc0 init=${toplevel}/init root=fstab nokaslr`,
      systemName: "guest",
      nixosVersion: "25.11.20251120.abcdef0",
      virtiofs: [
        { tag: "modules", mountPoint: "/lib/modules" },
        { tag: "store", mountPoint: "/nix/store" },
        { tag: "linux", mountPoint: "/src/my-linux" },
      ],
    });
  });

  test("boot.json's version is 1", async () => {
    expect(await nixEval("_: nixlab.boot.bootJsonVersion")).toBe(1);
  });
});
