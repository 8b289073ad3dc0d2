# The kernel command line and the boot.json document of the imageless backend.
# Builtins only. The NixOS module (../modules/backends/imageless) calls `bootJson` with
# `toplevel = builtins.placeholder "out"` inside the toplevel's own builder, so the
# document names the real store paths once built.
#
# boot.json is the contract with the TypeScript side, which boots the system with its own
# kernel (direct kernel boot) and this initrd and command line. See nix/README.md.
let
  escape = import ./escape.nix;

  # Same rule as NixOS' boot.kernelParams type: no whitespace except inside double quotes.
  isKernelParam = p: builtins.isString p && builtins.match "([^\"[:space:]]|\"[^\"]*\")+" p != null;
in
rec {
  inherit isKernelParam;

  # The version of the boot.json shape; bumped on any incompatible change.
  bootJsonVersion = 1;

  # The parameters the imageless backend always needs, before any of boot.kernelParams:
  #   root=tmpfs      systemd's fstab generator: the root is a tmpfs (NixOS' systemd initrd
  #                   adds root=fstab among boot.kernelParams; the last root= wins, and the
  #                   fstab's "/" is that same tmpfs);
  #   console=ttyS0,115200 console=hvc0
  #                   kernel messages on the first serial port and on the virtio console;
  #                   the last one is /dev/console, where systemd prints and the break-glass
  #                   getty runs;
  #   init=<toplevel>/init
  #                   the systemd initrd finds the system to switch to from init=.
  baseKernelParams = toplevel: [
    "root=tmpfs"
    "console=ttyS0,115200"
    "console=hvc0"
    "init=${toplevel}/init"
  ];

  kernelParams =
    { toplevel, extraParams }:
    let
      bad = builtins.filter (p: !(isKernelParam p)) extraParams;
    in
    if bad != [ ] then
      throw "kernelParams: ${builtins.toJSON (builtins.head bad)} is not a valid kernel parameter (no whitespace except inside double quotes)"
    else
      baseKernelParams toplevel ++ extraParams;

  # The boot.json document (an attrset; builtins.toJSON gives the file's text).
  #   toplevel      store path of the system (a placeholder while building it)
  #   initrd        path of the initrd file
  #   extraParams   config.boot.kernelParams
  #   systemName    config.system.name
  #   nixosVersion  config.system.nixos.version
  #   virtiofs      { "<mount point>" = "<tag>"; }: every virtiofs share the guest mounts
  bootJson =
    {
      toplevel,
      initrd,
      extraParams,
      systemName,
      nixosVersion,
      virtiofs,
    }:
    let
      params = kernelParams { inherit toplevel extraParams; };
      mountPoints = builtins.sort builtins.lessThan (builtins.attrNames virtiofs);
    in
    {
      version = bootJsonVersion;
      inherit
        toplevel
        initrd
        systemName
        nixosVersion
        ;
      init = "${toplevel}/init";
      kernelParams = params;
      cmdline = builtins.concatStringsSep " " params;
      virtiofs = map (mountPoint: {
        tag = virtiofs.${mountPoint};
        mountPoint = escape.normalisePathAs "virtiofs mount point" mountPoint;
      }) mountPoints;
    };
}
