# nixosModules.backends.imageless: a NixOS guest with no disk image at all.
#
# The host boots it directly (QEMU -kernel/-initrd/-append, or libvirt's <os><kernel>):
# with a kernel of its own choosing (or packages.<system>.kernel), this system's initrd
# and the command line from $toplevel/boot.json. The root is a tmpfs, /nix/store is the
# host's store over virtiofs (tag "store") and /lib/modules the running kernel's modules
# over virtiofs (tag "modules"). Everything the host needs to do that is in boot.json; see
# nix/README.md for its exact shape.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.nixlab.imageless;
  bootLib = import ../../../lib/boot.nix;
  kernelConfig = import ../../../lib/kernel-config.nix;

  initrdPath = "${config.system.build.initialRamdisk}/${config.system.boot.loader.initrdFile}";

  # Every virtiofs tag the guest mounts, by mount point: the two this backend needs and
  # the user's shares (nixlab.shares).
  virtiofs = {
    "/nix/store" = cfg.storeTag;
    "/lib/modules" = cfg.modulesTag;
  }
  // lib.mapAttrs (_: share: share.tag) config.nixlab.shares;

  # Written from inside the toplevel's own builder: placeholder "out" is replaced there by
  # the toplevel's store path, which nothing outside that derivation can know.
  bootJson = bootLib.bootJson {
    toplevel = builtins.placeholder "out";
    initrd = initrdPath;
    extraParams = config.boot.kernelParams;
    systemName = config.system.name;
    nixosVersion = config.system.nixos.version;
    inherit virtiofs;
  };

  # The initrd's /lib: an empty module tree (see boot.initrd below).
  noKernelModules = pkgs.runCommand "nixlab-no-kernel-modules" { } ''
    mkdir -p "$out/lib/modules"
  '';
in
{
  imports = [
    ../common.nix
    ./user.nix
    ../../mounts/shares.nix
  ];

  options.nixlab.imageless = {
    storeTag = lib.mkOption {
      type = lib.types.strMatching ".+";
      default = "store";
      description = "virtiofs tag of the host's /nix/store, mounted read-only at /nix/store.";
    };

    modulesTag = lib.mkOption {
      type = lib.types.strMatching ".+";
      default = "modules";
      description = ''
        virtiofs tag of a directory holding `<kernel release>/` module trees (what
        `make modules_install INSTALL_MOD_PATH=DIR` leaves under DIR/lib/modules), mounted
        read-only at /lib/modules, where kmod looks when no NixOS kernel is installed.
      '';
    };

    rootSize = lib.mkOption {
      type = lib.types.strMatching "[0-9]+[kKmMgG%]?";
      default = "50%";
      example = "4G";
      description = "Size limit of the tmpfs root (tmpfs' size= option).";
    };
  };

  config = {
    # --- file systems -------------------------------------------------------------------
    # The root is a tmpfs. mkImageMediaOverride: image-style modules own the root file
    # system, and this beats plain definitions (a hardware-configuration.nix imported by
    # habit) while still yielding to mkForce.
    fileSystems."/" = lib.mkImageMediaOverride {
      device = "none";
      fsType = "tmpfs";
      options = [
        "mode=0755"
        "size=${cfg.rootSize}"
      ];
    };

    # Needed in the initrd: the system to switch to lives in the store.
    fileSystems."/nix/store" = {
      device = cfg.storeTag;
      fsType = "virtiofs";
      options = [ "ro" ];
      neededForBoot = true;
    };

    # Mounted in the initrd too, so udev and systemd-modules-load find the modules from
    # the first moment of stage 2.
    fileSystems."/lib/modules" = {
      device = cfg.modulesTag;
      fsType = "virtiofs";
      options = [ "ro" ];
      neededForBoot = true;
    };

    # --- boot ---------------------------------------------------------------------------
    boot.loader.grub.enable = false;

    # No NixOS kernel: the host brings one. Without a kernel NixOS does not link one into
    # the toplevel, does not write /etc/modules-load.d/nixos.conf, and builds no module
    # tree; what boot.kernelModules needs is restored below.
    boot.kernel.enable = false;

    # RFC-0125 bootspec also writes $toplevel/boot.json and wants a kernel image; nixlab's
    # boot.json takes that name here.
    boot.bootspec.enable = false;

    boot.initrd.systemd.enable = true;

    # NixOS defines system.build.kernel only when it builds the kernel, yet the systemd
    # initrd (nixpkgs PR #411792) asks its config whether MODULES is set to decide whether
    # to ship a /lib of modules: without an answer, evaluation fails with "attribute
    # 'kernel' missing" before any priority (the mkForce below) is looked at. The stand-in
    # answers "MODULES=n", so the initrd ships no modules; they come over virtiofs at
    # /lib/modules after switch-root.
    system.build.kernel.config = kernelConfig.fromValues kernelConfig.imageless;

    # The initrd carries no kernel modules: the kernel must have virtio-pci, virtiofs and
    # tmpfs built in (packages.<system>.kernel has). Without these three settings the
    # initrd build runs modprobe over an empty module tree and fails on the first module
    # of the default list.
    boot.initrd.includeDefaultModules = false;
    boot.initrd.availableKernelModules = lib.mkForce [ ];
    boot.initrd.kernelModules = lib.mkForce [ ];
    # Should a nixpkgs revision add /lib regardless of the answer above, it gets an empty
    # module tree rather than the module closure of system.modulesTree (empty without a
    # kernel, and failing the build).
    boot.initrd.systemd.contents."/lib".source = lib.mkForce "${noKernelModules}/lib";

    # boot.kernelModules at runtime: kernel.nix only writes this list when it owns the
    # kernel. kmod falls back to /lib/modules when /run/booted-system/kernel-modules does
    # not exist, which is the case here.
    environment.etc."modules-load.d/nixlab.conf".text = lib.concatStringsSep "\n" config.boot.kernelModules + "\n";
    systemd.services.systemd-modules-load.unitConfig.RequiresMountsFor = [ "/lib/modules" ];

    # The contract: $toplevel/boot.json, and $toplevel/initrd as on a kernel-owning system.
    # -sfn: should NixOS' own builder have linked $out/initrd already, replace that link
    # (with the same target) instead of failing or creating initrd/initrd.
    system.systemBuilderCommands = ''
      printf '%s\n' ${lib.escapeShellArg (builtins.toJSON bootJson)} > "$out/boot.json"
      ln -sfn ${initrdPath} "$out/initrd"
    '';

    # --- console ------------------------------------------------------------------------
    # A getty on the virtio console (console=hvc0 is the last console= on the command
    # line). systemd's getty generator usually starts one too; wanting it here makes the
    # break-glass login independent of that heuristic.
    systemd.targets.getty.wants = [ "serial-getty@hvc0.service" ];

    # --- network ------------------------------------------------------------------------
    networking.hostName = lib.mkDefault "nixlab";
    networking.useDHCP = false;
    networking.useNetworkd = true;
    systemd.network.enable = true;
    systemd.network.networks."10-nixlab-en" = {
      matchConfig.Name = "en*";
      networkConfig.DHCP = "yes";
    };

    # --- what a throw-away guest does not need ------------------------------------------
    # The store belongs to the host and is read-only here: no nix-daemon, no GC.
    nix.enable = lib.mkDefault false;
    documentation.enable = lib.mkDefault false;
    documentation.nixos.enable = lib.mkDefault false;
    programs.command-not-found.enable = lib.mkDefault false;
    services.udisks2.enable = lib.mkDefault false;
    fonts.fontconfig.enable = lib.mkDefault false;
  };
}
