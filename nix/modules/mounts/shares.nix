# nixosModules.mounts.shares: host directories shared over virtiofs, mounted by tag.
#   nixlab.shares."/src/linux" = { tag = "linux"; };
# Becomes fileSystems."/src/linux" = { device = "linux"; fsType = "virtiofs"; ... }.
{ config, lib, ... }:

let
  mounts = import ../../lib/mounts.nix;
in
{
  options.nixlab.shares = lib.mkOption {
    type = lib.types.attrsOf (
      lib.types.submodule {
        options = {
          tag = lib.mkOption {
            type = lib.types.strMatching ".+";
            example = "linux";
            description = "virtiofs tag the host exports the directory under.";
          };
          options = lib.mkOption {
            type = lib.types.listOf lib.types.str;
            default = [ ];
            example = [ "ro" ];
            description = "Mount options (none means \"defaults\").";
          };
        };
      }
    );
    default = { };
    example = {
      "/src/linux".tag = "linux";
    };
    description = "virtiofs shares, keyed by absolute mount point.";
  };

  config.fileSystems = mounts.sharesToFileSystems config.nixlab.shares;
}
