# nixosModules.profiles.build-tools: the toolchains of lib/toolchain.nix (kernel, QEMU,
# systemd) installed system-wide, for building in the guest without `nix develop`.
# Importing the module enables it; nixlab.profiles.build-tools.enable = false turns it off.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  toolchain = import ../../lib/toolchain.nix pkgs;
in
{
  options.nixlab.profiles.build-tools.enable = lib.mkEnableOption "the nixlab build-tools profile" // {
    default = true;
  };

  config = lib.mkIf config.nixlab.profiles.build-tools.enable {
    environment.systemPackages = toolchain.all;
    # Headers and pkg-config files of the libraries, for builds outside nix.
    environment.extraOutputsToInstall = [ "dev" ];
  };
}
