// The NixOS modules, called as plain functions with a stand-in lib (stub-lib.nix), fake
// pkgs and a fake config: what each sets, with which priority, and the boot.json writer
// run for real.
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { nixEval, run } from "./nix-eval";

const stub = JSON.stringify(path.join(__dirname, "stub-lib.nix"));
const fakeModulesPath = JSON.stringify(path.join(__dirname, "fake-nixos", "modules"));

// A Nix function of the JSON input { module, config }: calls nix/modules/<module> with the
// stub lib, fake pkgs and that config, and returns the module's `config` part.
// Each fake package is its store path, with "out" and "dev" outputs; input.pkgs names
// the packages the module refers to besides these.
const callModule = `input:
  let
    lib = import (/. + ${stub});
    fakePackage = name: {
      outPath = "/nix/store/" + name;
      out = "/nix/store/" + name + "-out";
      dev = "/nix/store/" + name + "-dev";
    };
    pkgs = builtins.listToAttrs (map (name: { inherit name; value = fakePackage name; }) (input.pkgs or [ ])) // {
      runCommand = name: _: _: "/nix/store/" + name;
      writeShellScriptBin = name: text: { inherit name text; };
      coreutils = fakePackage "coreutils";
      util-linux = fakePackage "util-linux";
      xfsprogs = fakePackage "xfsprogs";
      xfstests = fakePackage "xfstests";
      nfstest = fakePackage "nfstest";
      pynfs = fakePackage "pynfs";
      kirk = fakePackage "kirk";
      llvmPackages = { clang = fakePackage "clang"; lld = fakePackage "lld"; llvm = fakePackage "llvm"; };
    };
    module = import (nixDir + "/modules/\${input.module}");
  in
  (module { inherit lib pkgs; config = input.config; modulesPath = /. + ${fakeModulesPath}; }).config`;

const imagelessConfig = {
  nixlab: {
    imageless: { storeTag: "store", modulesTag: "modules", rootSize: "50%" },
    shares: { "/src/linux": { tag: "linux", options: [] } },
  },
  system: {
    build: { initialRamdisk: "/nix/store/22222222222222222222222222222222-initrd" },
    boot: { loader: { initrdFile: "initrd" } },
    name: "guest",
    nixos: { version: "25.11.20251120.abcdef0" },
  },
  boot: { kernelParams: ["root=fstab", "loglevel=4"], kernelModules: ["xfs", "null_blk"] },
};

const override = (priority: number, content: unknown) => ({ _type: "override", priority, content });

// The imageless module's config with its kernel-config stand-in (functions) replaced by the
// answers it gives to the questions NixOS modules ask of a kernel config.
const callImageless = `input:
  let
    c = (${callModule}) input;
    k = c.system.build.kernel.config;
    ask = name: { isSet = k.isSet name; getValue = k.getValue name; isYes = k.isYes name; isNo = k.isNo name; isModule = k.isModule name; isEnabled = k.isEnabled name; isDisabled = k.isDisabled name; };
  in
  c // {
    system = c.system // { build = builtins.removeAttrs c.system.build [ "kernel" ]; };
    kernelConfigAnswers = { MODULES = ask "MODULES"; VIRTIO_FS = ask "VIRTIO_FS"; CONFIG_MODULES = k.CONFIG_MODULES; buildKeys = builtins.attrNames c.system.build.kernel; };
  }`;

describe("backends/imageless", () => {
  // biome-ignore lint/suspicious/noExplicitAny: a NixOS configuration tree, checked field by field
  let config: any;
  beforeAll(async () => {
    config = await nixEval(callImageless, { module: "backends/imageless", config: imagelessConfig });
  });

  test("system.build.kernel.config answers the systemd initrd: MODULES is set, to n (no modules in the initrd)", () => {
    expect(config.kernelConfigAnswers).toEqual({
      MODULES: {
        isSet: true,
        getValue: "n",
        isYes: false,
        isNo: true,
        isModule: false,
        isEnabled: false,
        isDisabled: true,
      },
      VIRTIO_FS: {
        isSet: false,
        getValue: null,
        isYes: false,
        isNo: false,
        isModule: false,
        isEnabled: false,
        isDisabled: true,
      },
      CONFIG_MODULES: "n",
      buildKeys: ["config"],
    });
  });

  test("file systems: tmpfs root at image-media priority, store and modules over virtiofs in the initrd", () => {
    expect(config.fileSystems).toEqual({
      "/": override(60, { device: "none", fsType: "tmpfs", options: ["mode=0755", "size=50%"] }),
      "/nix/store": { device: "store", fsType: "virtiofs", options: ["ro"], neededForBoot: true },
      "/lib/modules": { device: "modules", fsType: "virtiofs", options: ["ro"], neededForBoot: true },
    });
  });

  test("boot: no loader, no kernel, no bootspec, systemd initrd without modules", () => {
    expect(config.boot).toEqual({
      loader: { grub: { enable: false } },
      kernel: { enable: false },
      bootspec: { enable: false },
      initrd: {
        systemd: {
          enable: true,
          contents: { "/lib": { source: override(50, "/nix/store/nixlab-no-kernel-modules/lib") } },
        },
        includeDefaultModules: false,
        availableKernelModules: override(50, []),
        kernelModules: override(50, []),
      },
    });
  });

  test("boot.kernelModules are loaded from /lib/modules at runtime", () => {
    expect(config.environment.etc).toEqual({ "modules-load.d/nixlab.conf": { text: "xfs\nnull_blk\n" } });
    expect(config.systemd.services).toEqual({
      "systemd-modules-load": { unitConfig: { RequiresMountsFor: ["/lib/modules"] } },
    });
  });

  test("console, network and trimmed services", () => {
    expect(config.systemd.targets).toEqual({ getty: { wants: ["serial-getty@hvc0.service"] } });
    expect(config.systemd.network).toEqual({
      enable: true,
      networks: { "10-nixlab-en": { matchConfig: { Name: "en*" }, networkConfig: { DHCP: "yes" } } },
    });
    expect(config.networking).toEqual({
      hostName: override(1000, "nixlab"),
      useDHCP: false,
      useNetworkd: true,
    });
    expect(config.nix).toEqual({ enable: override(1000, false) });
  });

  test("the toplevel builder writes boot.json and links the initrd (replacing a link NixOS made)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "nixlab-toplevel-"));
    try {
      const out = path.join(dir, "out");
      // As if NixOS' own builder had linked $out/initrd already (to a directory, the case
      // where a plain ln -s would create initrd/initrd).
      const result = await run(
        "bash",
        ["-e", "-c", `mkdir "$out"\nln -s "$PWD" "$out/initrd"\n${config.system.systemBuilderCommands}`],
        { env: { ...process.env, out }, cwd: dir },
      );
      expect(result).toMatchObject({ code: 0, stderr: "" });
      // Outside a real build the placeholder is not substituted: compare with it.
      const placeholder = await nixEval<string>('_: builtins.placeholder "out"');
      const bootJson = JSON.parse(readFileSync(path.join(out, "boot.json"), "utf8"));
      expect(bootJson).toEqual({
        version: 1,
        toplevel: placeholder,
        init: `${placeholder}/init`,
        initrd: "/nix/store/22222222222222222222222222222222-initrd/initrd",
        kernelParams: [
          "root=tmpfs",
          "console=ttyS0,115200",
          "console=hvc0",
          `init=${placeholder}/init`,
          "root=fstab",
          "loglevel=4",
        ],
        cmdline: `root=tmpfs console=ttyS0,115200 console=hvc0 init=${placeholder}/init root=fstab loglevel=4`,
        systemName: "guest",
        nixosVersion: "25.11.20251120.abcdef0",
        virtiofs: [
          { tag: "modules", mountPoint: "/lib/modules" },
          { tag: "store", mountPoint: "/nix/store" },
          { tag: "linux", mountPoint: "/src/linux" },
        ],
      });
      expect(readlinkSync(path.join(out, "initrd"))).toBe(
        "/nix/store/22222222222222222222222222222222-initrd/initrd",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("backends/libvirt", () => {
  test("grub on /dev/vda, ext4 root by label, qcow2 from make-disk-image", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: a NixOS configuration tree
    const config: any = await nixEval(callModule, {
      module: "backends/libvirt",
      config: {
        nixlab: { libvirt: { diskSize: 20480, additionalSpace: "1024M" } },
        system: { name: "guest" },
      },
    });
    expect(config.boot.loader).toEqual({ grub: { enable: true, device: "/dev/vda" } });
    expect(config.fileSystems).toEqual({
      "/": { device: "/dev/disk/by-label/nixos", fsType: "ext4", autoResize: true },
    });
    expect(config.system.build.qcow2).toEqual({
      name: "nixlab-guest-qcow2",
      format: "qcow2",
      partitionTableType: "legacy",
      fsType: "ext4",
      label: "nixos",
      diskSize: 20480,
      additionalSpace: "1024M",
      copyChannel: false,
    });
    expect(config.nix.gc).toEqual({ automatic: true, dates: "weekly", options: "--delete-older-than 14d" });
    expect(config.networking).toEqual({
      hostName: override(1000, "nixlab"),
      useNetworkd: false,
      useDHCP: true,
    });
  });
});

describe("user and the backends' user.nix", () => {
  test("importing nixosModules.user creates the account (no enable switch): keys, passwordless sudo", async () => {
    const config = await nixEval(callModule, {
      module: "user.nix",
      config: { nixlab: { user: { name: "kdevops", extraGroups: ["wheel"], sshKeys: ["k1"] } } },
    });
    expect(config).toEqual({
      nixlab: { user: { created: true } },
      assertions: [
        {
          assertion: true,
          message: 'nixlab.user.name: "root" is not an unprivileged account; pick another name',
        },
      ],
      users: {
        users: {
          kdevops: {
            isNormalUser: true,
            extraGroups: ["wheel"],
            openssh: { authorizedKeys: { keys: ["k1"] } },
          },
        },
      },
      security: {
        sudo: {
          extraRules: [{ users: ["kdevops"], commands: [{ command: "ALL", options: ["NOPASSWD"] }] }],
        },
      },
    });
  });

  test("the options alone (user-options.nix) define no account; `created` is internal and read-only", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: a NixOS module's result
    const result: any = await nixEval(
      `input: let lib = import (/. + ${stub}); m = (import (nixDir + "/modules/\${input}")) { inherit lib; }; in { config = m.config or null; options = builtins.attrNames m.options.nixlab.user; created = { inherit (m.options.nixlab.user.created) default internal readOnly; }; }`,
      "user-options.nix",
    );
    expect(result).toEqual({
      config: null,
      options: ["created", "extraGroups", "name", "sshKeys"],
      created: { default: false, internal: true, readOnly: true },
    });
  });

  test("the break-glass root password defaults to the seed's value and can be overridden or removed", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: a NixOS module's result
    const common = (password: string | null): Promise<any> =>
      nixEval(
        `input: let lib = import (/. + ${stub}); m = (import (nixDir + "/modules/backends/common.nix")) { inherit lib; config.nixlab.consolePassword = input; }; in { default = m.options.nixlab.consolePassword.default; root = m.config.users.users.root.initialPassword; }`,
        password,
      );
    expect(await common("root")).toEqual({
      default: "root",
      root: { _type: "if", condition: true, content: "root" },
    });
    expect(await common("s3cret")).toMatchObject({ root: { condition: true, content: "s3cret" } });
    expect(await common(null)).toMatchObject({ root: { condition: false } });
  });

  test.each([
    ["backends/imageless/user.nix", ["wheel", "kvm"]],
    ["backends/libvirt/user.nix", ["wheel", "kvm", "libvirtd"]],
  ])("%s sets the default groups at mkDefault", async (module, groups) => {
    // biome-ignore lint/suspicious/noExplicitAny: a NixOS module's result
    const result: any = await nixEval(
      `input: let lib = import (/. + ${stub}); in (import (nixDir + "/modules/\${input}")) { inherit lib; }`,
      module,
    );
    expect(result.nixlab.user.extraGroups).toEqual(override(1000, groups));
  });
});

describe("mounts/storage", () => {
  test("the mkfs services get blkid and the file system tools on PATH, and the assertions", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: a NixOS configuration tree
    const result: any = await nixEval(callModule, {
      module: "mounts/storage.nix",
      config: {
        nixlab: {
          storage: {
            "/mnt/scratch": {
              device: "/dev/vdb",
              fsType: "xfs",
              options: [],
              mkfsArgs: ["-f"],
              autoFormat: false,
            },
          },
        },
        system: { fsPackages: ["/nix/store/xfsprogs"] },
      },
    });
    expect(result._type).toBe("if");
    expect(result.condition).toBe(true);
    const { assertions, fileSystems, systemd } = result.content;
    expect(assertions).toHaveLength(1);
    expect(fileSystems).toEqual({
      "/mnt/scratch": { device: "/dev/vdb", fsType: "xfs", autoFormat: false, options: ["defaults"] },
    });
    expect(Object.keys(systemd.services)).toEqual(["nixlab-mkfs-mnt-scratch"]);
    expect(systemd.services["nixlab-mkfs-mnt-scratch"].path).toEqual([
      "/nix/store/util-linux",
      "/nix/store/xfsprogs",
    ]);
    expect(systemd.services["nixlab-mkfs-mnt-scratch"].requiredBy).toEqual(["mnt-scratch.mount"]);
  });
});

// What fstests.nix refers to in pkgs besides the fake pkgs' own.
const fstestsPkgs = [
  "xfstests",
  "xfsdump",
  "e2fsprogs",
  "btrfs-progs",
  "f2fs-tools",
  "exfatprogs",
  "dosfstools",
  "acl",
  "attr",
  "quota",
  "fio",
  "dbench",
  "duperemove",
  "fsverity-utils",
  "keyutils",
  "libcap",
  "psmisc",
  "lvm2",
  "thin-provisioning-tools",
  "liburing",
  "libaio",
  "openssl",
  "bc",
  "gawk",
  "perl",
  "python3",
  "time",
  "which",
];

describe("testSuites/fstests", () => {
  test("fsgqa users and groups with fixed ids, man pages, lvm udev rules, xfs_scrub units", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: a NixOS configuration tree
    const result: any = await nixEval(callModule, {
      module: "testSuites/fstests.nix",
      config: { nixlab: { testSuites: { fstests: { enable: true } }, suite: null } },
      pkgs: fstestsPkgs,
    });
    expect([result._type, result.condition]).toEqual(["if", true]);
    const config = result.content;
    expect(config.users).toEqual({
      groups: { fsgqa: { gid: 7000 }, fsgqa2: { gid: 7001 }, "123456-fsgqa": { gid: 7002 } },
      users: {
        fsgqa: { uid: 7000, isNormalUser: true, group: "fsgqa" },
        fsgqa2: { uid: 7001, isNormalUser: true, group: "fsgqa2" },
        "123456-fsgqa": { uid: 7002, isNormalUser: true, group: "123456-fsgqa" },
      },
    });
    expect(config.documentation).toEqual({ enable: true, man: { enable: true } });
    expect(config.services).toEqual({ lvm: { enable: true } });
    expect(config.systemd).toEqual({
      packages: ["/nix/store/xfsprogs-out"],
      tmpfiles: { rules: ["d /var/lib/xfsprogs 0755 root root -"] },
    });
  });
});

// What controller.nix refers to in pkgs (through lib/toolchain.nix's kernel lists too).
const controllerPkgs = [
  ...["gnumake", "gcc", "binutils", "flex", "bison", "bc", "perl", "python3", "pkg-config", "kmod"],
  ...["cpio", "zstd", "lz4", "xz", "gzip", "rsync", "pahole", "sparse", "git", "elfutils", "openssl"],
  ...["ncurses", "ansible", "qemu", "virtiofsd", "libvirt"],
];

describe("profiles/controller", () => {
  test("everything is under mkIf nixlab.controller.enable", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: a NixOS configuration tree
    const result: any = await nixEval(callModule, {
      module: "profiles/controller.nix",
      config: { nixlab: { controller: { enable: false }, user: { created: true, name: "kdevops" } } },
      pkgs: controllerPkgs,
    });
    expect([result._type, result.condition]).toEqual(["if", false]);
  });

  test("libvirtd with KVM, and the nixlab user added to libvirtd and kvm", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: a NixOS configuration tree
    const result: any = await nixEval(callModule, {
      module: "profiles/controller.nix",
      config: { nixlab: { controller: { enable: true }, user: { created: true, name: "kdevops" } } },
      pkgs: controllerPkgs,
    });
    const config = result.content;
    expect(config.virtualisation).toEqual({ libvirtd: { enable: true } });
    expect(config.boot).toEqual({ kernelModules: ["kvm-intel", "kvm-amd"] });
    expect(config.users).toEqual({
      users: { _type: "if", condition: true, content: { kdevops: { extraGroups: ["libvirtd", "kvm"] } } },
    });
    expect(config.environment.systemPackages).toEqual(
      expect.arrayContaining([
        "/nix/store/ansible",
        "/nix/store/qemu",
        "/nix/store/virtiofsd",
        "/nix/store/pahole",
        "/nix/store/clang",
        "/nix/store/lld",
        "/nix/store/llvm",
      ]),
    );
  });
});

describe("testSuites/runner.nix: nixlab.suite made ready to run", () => {
  const callRunner = (suite: unknown, importedSuites: string[] = ["fstests"]) =>
    nixEval(callModule, {
      module: "testSuites/runner.nix",
      config: {
        nixlab: {
          suite,
          testSuites: Object.fromEntries(importedSuites.map((n) => [n, { enable: true }])),
        },
      },
    });

  test("nothing while nixlab.suite is null", async () => {
    const condition = await nixEval(`input: ((${callModule}) input).condition`, {
      module: "testSuites/runner.nix",
      config: { nixlab: { suite: null, testSuites: {} } },
    });
    expect(condition).toBe(false);
  });

  test("the suite's config file, /etc/nixlab/suite.json, nixlab-run-suite and the results directory", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: a NixOS configuration tree
    const result: any = await callRunner({
      name: "fstests",
      section: "xfs",
      options: { TEST_DEV: "/dev/vdb", TEST_DIR: "/t" },
    });
    expect(result.condition).toBe(true);
    const [checks, ready] = result.content.contents;
    expect(checks.assertions.map((a: { assertion: boolean }) => a.assertion)).toEqual([true, true]);
    expect(ready.condition).toBe(true);
    const etc = ready.content.environment.etc;
    expect(Object.keys(etc).sort()).toEqual(["nixlab/fstests/local.config", "nixlab/suite.json"]);
    expect(JSON.parse(etc["nixlab/suite.json"].text)).toMatchObject({
      suite: "fstests",
      section: "xfs",
      command: ["/nix/store/xfstests/bin/xfstests-check", "-s", "xfs", "-g", "quick"],
    });
    expect(etc["nixlab/suite.json"].text.endsWith("}\n")).toBe(true);
    expect(etc["nixlab/fstests/local.config"].text).toContain('[xfs]\nTEST_DEV="/dev/vdb"\n');
    const [runSuite] = ready.content.environment.systemPackages;
    expect(runSuite.name).toBe("nixlab-run-suite");
    expect(runSuite.text).toContain("export PATH='/nix/store/coreutils/bin'");
    expect(ready.content.systemd.tmpfiles.rules).toEqual([
      "d /var/lib/nixlab/results/fstests 0755 root root -",
    ]);
  });

  test("no results directory made inside a checkout still to be cloned (mmtests)", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: a NixOS configuration tree
    const result: any = await callRunner({ name: "mmtests", options: { config: "configs/c" } }, ["mmtests"]);
    expect(result.content.contents[1].content.systemd.tmpfiles.rules).toEqual([]);
  });

  test("a bad suite fails an assertion listing every problem, and generates nothing", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: a NixOS configuration tree
    const result: any = await callRunner({ name: "fstests", options: { TEST_DEV: "vdb", FOO: 1 } });
    const [checks, ready] = result.content.contents;
    expect(checks.assertions[0]).toEqual({
      assertion: false,
      message: [
        "invalid nixlab.suite:",
        '  - nixlab.suite.options.FOO: fstests has no option "FOO" (known: FSTYP, TEST_DEV, TEST_DIR, SCRATCH_DEV, SCRATCH_MNT, SCRATCH_DEV_POOL, LOGWRITES_DEV, MKFS_OPTIONS, MOUNT_OPTIONS, TEST_FS_MOUNT_OPTS, tests)',
        '  - nixlab.suite.options.TEST_DEV: must be an absolute path of letters, digits and _.:+@,=/-, got "vdb"',
      ].join("\n"),
    });
    expect(ready.condition).toBe(false);
  });

  test("a suite whose module is not imported fails an assertion naming it", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: a NixOS configuration tree
    const result: any = await callRunner({ name: "ltp" }, ["fstests"]);
    expect(result.content.contents[0].assertions[1]).toEqual({
      assertion: false,
      message: 'nixlab.suite.name: "ltp" needs nixosModules.testSuites.ltp; import it',
    });
  });
});

describe("testSuites: what a suite's settings change in its module", () => {
  const nfsPkgs = ["nfs-utils", "tcpdump"];

  test("fstests: the scratch mount point exists from boot on", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: a NixOS configuration tree
    const result: any = await nixEval(callModule, {
      module: "testSuites/fstests.nix",
      config: {
        nixlab: {
          testSuites: { fstests: { enable: true } },
          suite: { name: "fstests", options: { SCRATCH_MNT: "/media/scratch" } },
        },
      },
      pkgs: fstestsPkgs,
    });
    expect(result.content.systemd.tmpfiles.rules).toEqual([
      "d /var/lib/xfsprogs 0755 root root -",
      "d /media/scratch 0755 root root -",
    ]);
  });

  test("nfstest: the server role exports its directory; the client role serves nothing", async () => {
    const nfs = (options: Record<string, string>) =>
      nixEval<{ content: { services: { nfs: { server: unknown } } } }>(callModule, {
        module: "testSuites/nfstest.nix",
        config: {
          nixlab: { testSuites: { nfstest: { enable: true } }, suite: { name: "nfstest", options } },
        },
        pkgs: ["nfstest", ...nfsPkgs],
      });
    expect((await nfs({ role: "server", export: "/srv/export" })).content.services.nfs.server).toEqual({
      _type: "if",
      condition: true,
      content: { enable: true, exports: "/srv/export *(rw,sync,no_subtree_check,no_root_squash,insecure)\n" },
    });
    expect((await nfs({ server: "nfs-server" })).content.services.nfs.server).toMatchObject({
      condition: false,
    });
  });
});
