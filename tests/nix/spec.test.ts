// nix/lib/spec.nix and spec-module.nix: the JSON spec of lib.mkSystem, its defaults, its
// error messages, and the NixOS configuration it stands for.
import { nixEval, nixEvalError } from "./nix-eval";

interface Checked {
  errors: string[];
  spec: unknown;
}

const check = (spec: unknown): Promise<Checked> => nixEval<Checked>("nixlab.spec.check", spec);

describe("spec.nix: normalisation", () => {
  test("the smallest spec gets every default", async () => {
    expect(await nixEval("nixlab.spec.normalise", { backend: "imageless" })).toEqual({
      version: 1,
      system: "x86_64-linux",
      backend: "imageless",
      hostName: "nixlab",
      stateVersion: "25.11",
      profiles: [],
      testSuites: [],
      user: null,
      sshKeys: [],
      consolePassword: null,
      shares: {},
      storage: {},
      extraPackages: [],
      kernelParams: [],
      diskSize: null,
      suite: null,
    });
  });

  test("a full spec is kept, mount points normalised, the user inheriting sshKeys", async () => {
    const got = await nixEval("nixlab.spec.normalise", {
      version: 1,
      system: "x86_64-linux",
      backend: "libvirt",
      hostName: "fs-xfs-1",
      stateVersion: "25.05",
      profiles: ["devel", "monitoring"],
      testSuites: ["fstests", "blktests"],
      user: { name: "kdevops", extraGroups: ["wheel"] },
      sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPleaseReplaceThisWithYourOwnPublicKeyNixlab root@host"],
      consolePassword: "secret",
      shares: { "/src/linux/": { tag: "linux", options: ["ro"] } },
      storage: { "/mnt//scratch": { device: "/dev/vdb", fsType: "xfs", mkfsArgs: ["-f"] } },
      extraPackages: ["htop", "python3Packages.numpy"],
      kernelParams: ["nokaslr"],
      diskSize: 20480,
    });
    expect(got).toEqual({
      version: 1,
      system: "x86_64-linux",
      backend: "libvirt",
      hostName: "fs-xfs-1",
      stateVersion: "25.05",
      profiles: ["devel", "monitoring"],
      testSuites: ["fstests", "blktests"],
      user: {
        name: "kdevops",
        extraGroups: ["wheel"],
        sshKeys: [
          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPleaseReplaceThisWithYourOwnPublicKeyNixlab root@host",
        ],
      },
      sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPleaseReplaceThisWithYourOwnPublicKeyNixlab root@host"],
      consolePassword: "secret",
      shares: { "/src/linux": { tag: "linux", options: ["ro"] } },
      storage: {
        "/mnt/scratch": {
          device: "/dev/vdb",
          fsType: "xfs",
          options: [],
          mkfsArgs: ["-f"],
          autoFormat: false,
        },
      },
      extraPackages: ["htop", "python3Packages.numpy"],
      kernelParams: ["nokaslr"],
      diskSize: 20480,
      suite: null,
    });
  });

  test("libvirt's diskSize defaults to auto; an empty user object gets the defaults", async () => {
    const got = await nixEval<{ diskSize: unknown; user: unknown }>("nixlab.spec.normalise", {
      backend: "libvirt",
      user: {},
    });
    expect([got.diskSize, got.user]).toEqual(["auto", { name: "user", extraGroups: null, sshKeys: [] }]);
  });
});

describe("spec.nix: errors name the field", () => {
  test.each<[string, Record<string, unknown>, string[]]>([
    ["no backend", {}, ['backend: required (one of "imageless", "libvirt")']],
    ["unknown backend", { backend: "qemu" }, ['backend: must be one of "imageless", "libvirt", got "qemu"']],
    [
      "unknown field",
      { backend: "imageless", sshkeys: [] },
      [
        "sshkeys: unknown field (known fields: version, system, backend, hostName, stateVersion, profiles, testSuites, user, sshKeys, consolePassword, shares, storage, extraPackages, kernelParams, diskSize, suite)",
      ],
    ],
    ["version", { backend: "imageless", version: 2 }, ["version: only version 1 is supported, got 2"]],
    [
      "system",
      { backend: "imageless", system: "riscv64-linux" },
      ['system: must be one of "x86_64-linux", "aarch64-linux", got "riscv64-linux"'],
    ],
    [
      "hostName",
      { backend: "imageless", hostName: "web_" },
      [
        'hostName: must be a host name (letters, digits, _ and -, not starting or ending with - or _, at most 63 characters), got "web_"',
      ],
    ],
    [
      "profiles",
      { backend: "imageless", profiles: ["devel", "gui", "devel"] },
      [
        'profiles[1]: must be one of "devel", "build-tools", "monitoring", "controller", got "gui"',
        'profiles: "devel" is listed more than once',
      ],
    ],
    [
      "testSuites not an array",
      { backend: "imageless", testSuites: "fstests" },
      ['testSuites: expected an array, got "fstests"'],
    ],
    [
      "user",
      { backend: "imageless", user: { name: "1st", shell: "zsh", sshKeys: [""] } },
      [
        "user.shell: unknown field (known fields: name, extraGroups, sshKeys)",
        'user.name: must be a user name (lower case letters, digits, _ and -, not starting with a digit or -, at most 32 characters), got "1st"',
        "user.sshKeys[0]: must be an OpenSSH public key line: TYPE BASE64 [COMMENT], TYPE one of ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com",
      ],
    ],
    [
      "sshKeys: public keys only, never quoted back",
      {
        backend: "imageless",
        sshKeys: [
          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPleaseReplaceThisWithYourOwnPublicKeyNixlab you@host",
          7,
          "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----\n",
          'restrict,from="10.0.0.0/8" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPleaseReplaceThisWithYourOwnPublicKeyNixlab',
          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIShort",
          "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIPleaseReplaceThisWithYourOwnPublicKeyNixlab",
          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPleaseReplaceThisWithYourOwnPublicKeyNixlab a\nssh-ed25519 second",
        ],
      },
      [
        "sshKeys[1]: must be an OpenSSH public key line (a string)",
        "sshKeys[2]: is a private key, refused: put its public half here (`ssh-keygen -y -f KEYFILE` prints it) and remove the private key from the stack config",
        "sshKeys[4]: must be an OpenSSH public key line: its base64 part is not a whole ssh-ed25519 key",
        "sshKeys[5]: must be an OpenSSH public key line: its base64 part is not a ssh-rsa key",
        "sshKeys[6]: must be one line without control characters",
      ],
    ],
    [
      "shares",
      { backend: "imageless", shares: { "src/linux": { tag: "linux" }, "/data": { options: ["ro"] } } },
      [
        'shares."/data".tag: required',
        'shares."src/linux": the mount point must be an absolute path (starting with /), got "src/linux"',
      ],
    ],
    [
      "storage",
      {
        backend: "libvirt",
        storage: { "/mnt/x": { device: "vdb", fsType: "XFS", mkfsArgs: [], autoFormat: true, size: 1 } },
      },
      [
        'storage."/mnt/x".size: unknown field (known fields: device, fsType, options, mkfsArgs, autoFormat)',
        'storage."/mnt/x".device: must be a device under /dev, such as /dev/vdb or /dev/disk/by-id/virtio-SERIAL, got "vdb"',
        'storage."/mnt/x".fsType: must be a filesystem type such as "xfs" or "ext4", got "XFS"',
        'storage."/mnt/x": mkfsArgs and autoFormat cannot be used together (autoFormat formats through systemd-makefs, which takes no mkfs arguments)',
      ],
    ],
    [
      "mount point clashes and reserved mount points",
      {
        backend: "imageless",
        shares: { "/data": { tag: "d" }, "/nix/store/": { tag: "s" } },
        storage: { "/data/": { device: "/dev/vdb", fsType: "xfs" } },
      },
      [
        'shares."/data": same mount point as storage."/data/"',
        'shares."/nix/store/": /nix/store is used by the imageless backend itself',
      ],
    ],
    [
      "extraPackages",
      { backend: "imageless", extraPackages: ["htop", "pkgs.foo bar", ""] },
      [
        'extraPackages[1]: must be a nixpkgs attribute path such as "htop" or "python3Packages.numpy", got "pkgs.foo bar"',
        'extraPackages[2]: must be a nixpkgs attribute path such as "htop" or "python3Packages.numpy", got ""',
      ],
    ],
    [
      "kernelParams",
      { backend: "imageless", kernelParams: ["quiet", "a b"] },
      ['kernelParams[1]: must be one kernel parameter (quote blanks: name="a b"), got "a b"'],
    ],
    [
      "aarch64-linux with the libvirt backend (BIOS GRUB)",
      { backend: "libvirt", system: "aarch64-linux" },
      [
        "system: the libvirt backend boots with BIOS GRUB, which aarch64-linux has not; use the imageless backend for aarch64-linux guests",
      ],
    ],
    [
      "suite: an option the suite does not know, named",
      { backend: "imageless", suite: { name: "selftests", options: { TARGETS: "net", TARGET: "mm" } } },
      ['suite.options.TARGET: selftests has no option "TARGET" (known: TARGETS, kernelTree)'],
    ],
    [
      "suite: bad values, a section for a suite without sections, an unknown suite field",
      {
        backend: "imageless",
        suite: {
          name: "blktests",
          section: "x",
          options: { TEST_DEVS: "vdb", QUICK_RUN: "yes" },
          flags: [],
        },
      },
      [
        "suite.flags: unknown field (known fields: name, section, options)",
        "suite.section: only fstests has sections",
        'suite.options.TEST_DEVS: must be absolute paths separated by spaces, got "vdb"',
        'suite.options.QUICK_RUN: must be a boolean, got "yes"',
      ],
    ],
    [
      "suite: what the suite requires",
      { backend: "imageless", suite: { name: "fstests", options: { SCRATCH_DEV: "/dev/vdc" } } },
      [
        "suite.options.TEST_DEV: required (the device fstests keeps mounted at TEST_DIR)",
        "suite.options.TEST_DIR: required (where TEST_DEV is mounted)",
        "suite.options.SCRATCH_MNT: required with SCRATCH_DEV or SCRATCH_DEV_POOL",
      ],
    ],
    [
      "suite: an fstests config value fstests' parser cannot carry",
      {
        backend: "imageless",
        suite: {
          name: "fstests",
          section: "a b",
          options: { TEST_DEV: "/dev/vdb", TEST_DIR: "/t", MKFS_OPTIONS: '-m "crc=1"' },
        },
      },
      [
        'suite.section: must be a section name of letters, digits, _ and -, got "a b"',
        'suite.options.MKFS_OPTIONS: must be text without quotes, #, $, `, \\ or line breaks, got "-m \\"crc=1\\""',
      ],
    ],
    [
      "suite: an unknown suite",
      { backend: "imageless", suite: { name: "xfstests" } },
      [
        'suite.name: must be one of "blktests", "fstests", "ltp", "mmtests", "nfstest", "pynfs", "selftests", got "xfstests"',
      ],
    ],
    [
      "diskSize on imageless",
      { backend: "imageless", diskSize: 100 },
      ['diskSize: only the libvirt backend has a disk image; leave it out or null for "imageless"'],
    ],
    [
      "diskSize not a size",
      { backend: "libvirt", diskSize: "20G" },
      ['diskSize: expected "auto" or a positive number of MiB, got "20G"'],
    ],
  ])("%s", async (_name, spec, errors) => {
    expect(await check(spec)).toEqual({ errors, spec: null });
  });

  test("a spec that is not an object", async () => {
    expect(await check(["imageless"])).toEqual({
      errors: ["spec: expected an object, got an array"],
      spec: null,
    });
  });

  test("normalise throws one error listing every problem", async () => {
    const stderr = await nixEvalError("nixlab.spec.normalise", { backend: "qemu", hostName: "-x" });
    // nix indents the lines of a multi-line message; compare them trimmed.
    const lines = stderr.split("\n").map((line) => line.trim());
    expect(lines.join("\n")).toContain(
      [
        "error: invalid nixlab spec:",
        '- backend: must be one of "imageless", "libvirt", got "qemu"',
        '- hostName: must be a host name (letters, digits, _ and -, not starting or ending with - or _, at most 63 characters), got "-x"',
      ].join("\n"),
    );
  });
});

describe("spec.nix: extraPackages", () => {
  const fakePkgs = '{ htop = "htop-drv"; python3Packages.numpy = "numpy-drv"; }';

  test("attribute paths resolve into pkgs", async () => {
    expect(
      await nixEval(`nixlab.spec.resolvePackages ${fakePkgs}`, ["python3Packages.numpy", "htop"]),
    ).toEqual(["numpy-drv", "htop-drv"]);
  });

  test("a missing attribute names the entry", async () => {
    const stderr = await nixEvalError(`nixlab.spec.resolvePackages ${fakePkgs}`, [
      "htop",
      "python3Packages.nope",
    ]);
    expect(stderr).toContain('extraPackages[1]: nixpkgs has no attribute "python3Packages.nope"');
  });
});

describe("spec-module.nix: the spec as NixOS configuration", () => {
  test("modules to import and configuration, exactly", async () => {
    const got = await nixEval("s: nixlab.specModule (nixlab.spec.normalise s)", {
      backend: "libvirt",
      hostName: "ctl",
      profiles: ["controller", "devel"],
      testSuites: ["fstests"],
      user: { name: "kdevops", extraGroups: ["wheel"] },
      sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPleaseReplaceThisWithYourOwnPublicKeyNixlab k"],
      consolePassword: "pw",
      shares: { "/src": { tag: "src" } },
      storage: { "/mnt/x": { device: "/dev/vdb", fsType: "ext4", autoFormat: true } },
      kernelParams: ["nokaslr"],
      diskSize: 8192,
    });
    expect(got).toEqual({
      modules: [
        "backends.libvirt",
        "mounts.shares",
        "mounts.storage",
        "user",
        "profiles.controller",
        "profiles.devel",
        "testSuites.fstests",
      ],
      config: {
        networking: { hostName: "ctl" },
        system: { stateVersion: "25.11" },
        nixpkgs: { hostPlatform: "x86_64-linux" },
        users: {
          users: {
            root: {
              openssh: {
                authorizedKeys: {
                  keys: [
                    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPleaseReplaceThisWithYourOwnPublicKeyNixlab k",
                  ],
                },
              },
            },
          },
        },
        boot: { kernelParams: ["nokaslr"] },
        nixlab: {
          user: {
            name: "kdevops",
            sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPleaseReplaceThisWithYourOwnPublicKeyNixlab k"],
            extraGroups: ["wheel"],
          },
          shares: { "/src": { tag: "src", options: [] } },
          storage: {
            "/mnt/x": { device: "/dev/vdb", fsType: "ext4", options: [], mkfsArgs: null, autoFormat: true },
          },
          consolePassword: "pw",
          controller: { enable: true },
          libvirt: { diskSize: 8192 },
        },
      },
    });
  });

  test("a user: nixosModules.user is imported (the opt-in) and named; no user: neither", async () => {
    type Plan = { modules: string[]; config: { nixlab: Record<string, unknown> } };
    const got = await nixEval<Plan>("s: nixlab.specModule (nixlab.spec.normalise s)", {
      backend: "imageless",
    });
    expect(got.modules).toEqual(["backends.imageless", "mounts.shares", "mounts.storage"]);
    expect(got.config.nixlab).toEqual({ shares: {}, storage: {} });
    const withUser = await nixEval<Plan>("s: nixlab.specModule (nixlab.spec.normalise s)", {
      backend: "imageless",
      user: {},
    });
    expect(withUser.modules).toEqual(["backends.imageless", "mounts.shares", "mounts.storage", "user"]);
    expect(withUser.config.nixlab.user).toEqual({ name: "user", sshKeys: [] });
  });

  test("a suite: its module is imported and nixlab.suite carries it with every default filled", async () => {
    type Plan = { modules: string[]; config: { nixlab: Record<string, unknown> } };
    const got = await nixEval<Plan>("s: nixlab.specModule (nixlab.spec.normalise s)", {
      backend: "imageless",
      testSuites: ["pynfs"],
      suite: { name: "nfstest", options: { server: "nfs-server" } },
    });
    expect(got.modules).toEqual([
      "backends.imageless",
      "mounts.shares",
      "mounts.storage",
      "testSuites.pynfs",
      "testSuites.nfstest",
    ]);
    expect(got.config.nixlab.suite).toEqual({
      name: "nfstest",
      section: null,
      options: { role: "client", server: "nfs-server", export: "/export", test: "posix" },
    });
  });
});
