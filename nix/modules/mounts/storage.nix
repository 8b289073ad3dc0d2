# nixosModules.mounts.storage: block devices mounted at boot, formatted on first use.
#   nixlab.storage."/mnt/scratch" = { device = "/dev/vdb"; fsType = "xfs"; mkfsArgs = [ "-f" ]; };
# Becomes fileSystems."/mnt/scratch" and, when mkfsArgs is set, a oneshot
# nixlab-mkfs-<escaped mount point>.service ordered dev-vdb.device -> it -> mnt-scratch.mount
# that runs mkfs only if `blkid --probe` finds no signature on the device.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  mounts = import ../../lib/mounts.nix;
  storage = config.nixlab.storage;
  generated = mounts.storageToConfig storage;
in
{
  options.nixlab.storage = lib.mkOption {
    type = lib.types.attrsOf (
      lib.types.submodule {
        options = {
          device = lib.mkOption {
            type = lib.types.strMatching "/.+";
            example = "/dev/disk/by-id/virtio-scratch";
            description = "Block device to mount (an absolute path).";
          };
          fsType = lib.mkOption {
            type = lib.types.strMatching "[a-z0-9][a-z0-9._]*";
            example = "xfs";
            description = "File system type, for mount and for mkfs.<fsType>.";
          };
          options = lib.mkOption {
            type = lib.types.listOf lib.types.str;
            default = [ ];
            example = [ "noatime" ];
            description = "Mount options (none means \"defaults\").";
          };
          mkfsArgs = lib.mkOption {
            type = lib.types.nullOr (lib.types.listOf lib.types.str);
            default = null;
            example = [
              "-f"
              "-m"
              "reflink=1"
            ];
            description = ''
              When set (even to [ ]), a oneshot runs `mkfs.<fsType> <mkfsArgs> <device>`
              before the mount, unless `blkid --probe` finds any signature on the device:
              a formatted device is never reformatted. Cannot be combined with autoFormat.
            '';
          };
          autoFormat = lib.mkOption {
            type = lib.types.bool;
            default = false;
            description = ''
              Let systemd-makefs format the device when it has no file system (NixOS'
              fileSystems.<name>.autoFormat). It takes no mkfs arguments; use mkfsArgs for those.
            '';
          };
        };
      }
    );
    default = { };
    description = "Block devices to mount, keyed by absolute mount point.";
  };

  config = lib.mkIf (storage != { }) {
    assertions = mounts.storageAssertions storage;

    inherit (generated) fileSystems;

    # blkid and mkfs.<fsType> on the services' PATH: fileSystems adds each fsType to
    # boot.supportedFilesystems, which puts its tools in system.fsPackages.
    systemd.services = lib.mapAttrs (
      _: service: service // { path = [ pkgs.util-linux ] ++ config.system.fsPackages; }
    ) generated.services;
  };
}
