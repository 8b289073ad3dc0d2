# nixosModules.testSuites.blktests: the programs blktests' tests check for with
# _have_program (each missing one skips its tests) and what building blktests from git
# needs. The drivers (null_blk, scsi_debug, nvmet, nbd, ...) come from the kernel's
# modules; nothing to configure for them. Importing the module enables it;
# nixlab.testSuites.blktests.enable = false turns it off.
{
  config,
  lib,
  pkgs,
  ...
}:

{
  imports = [
    ./build-env.nix
    ./runner.nix
    ../overlay.nix
  ];

  options.nixlab.testSuites.blktests.enable = lib.mkEnableOption "what blktests needs to run" // {
    default = true;
  };

  config = lib.mkIf config.nixlab.testSuites.blktests.enable {
    environment.systemPackages = with pkgs; [
      fio # block/*, nvme/* I/O
      nvme-cli # nvme/*: `nvme` for connect/discover against nvmet
      sg3_utils # scsi/*
      util-linux # blkzone (zbd/*), losetup, partx, sfdisk
      parted
      xfsprogs # xfs_io, mkfs.xfs
      e2fsprogs
      btrfs-progs
      f2fs-tools
      dosfstools
      lvm2 # dmsetup, lvm, vgcreate (dm/*, and zbd tests over dm)
      cryptsetup
      mdadm # md/*
      bcache-tools # make-bcache
      nbd # nbd-client, nbd-server (nbd/*)
      ktls-utils # tlshd: nvme/* TLS tests
      fscrypt-experimental # fscrypt
      blktrace # blktrace, blkparse
      iproute2 # ip, rdma (nvme over rdma_rxe/siw, srp/*)
      ethtool
      pciutils # setpci
      expect
      bc
      python3
      liburing # src/ helpers built with io_uring support
    ];
  };
}
