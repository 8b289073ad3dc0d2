# nixosModules.backends.libvirt: a classic disk-image guest for libvirt/QEMU.
#
# GRUB on /dev/vda, an ext4 root on /dev/vda1 found by its label, a kernel built by NixOS,
# DHCP through scripted networking, nix with flakes and a weekly GC. The image is
#   nix build .#nixosConfigurations.<name>.config.system.build.qcow2
# (nixpkgs' make-disk-image, an MBR disk with one partition: /dev/vda1).
{
  config,
  lib,
  pkgs,
  modulesPath,
  ...
}:

let
  cfg = config.nixlab.libvirt;
in
{
  imports = [
    ../common.nix
    ./user.nix
    # virtio_pci, virtio_blk, virtio_net, ... in the initrd, and the QEMU guest tweaks.
    (modulesPath + "/profiles/qemu-guest.nix")
  ];

  options.nixlab.libvirt = {
    diskSize = lib.mkOption {
      type = lib.types.either (lib.types.enum [ "auto" ]) lib.types.ints.positive;
      default = "auto";
      example = 20480;
      description = ''
        Size of the qcow2 image in MiB, or "auto": the closure plus additionalSpace. The
        root grows to fill a larger virtual disk at boot either way.
      '';
    };

    additionalSpace = lib.mkOption {
      type = lib.types.strMatching "[0-9]+[KMG]";
      default = "1024M";
      description = "Free space added to an \"auto\" sized image.";
    };
  };

  config = {
    boot.loader.grub = {
      enable = true;
      device = "/dev/vda";
    };
    boot.kernelParams = [
      "console=tty0"
      "console=ttyS0,115200"
    ];

    fileSystems."/" = {
      device = "/dev/disk/by-label/nixos";
      fsType = "ext4";
      autoResize = true;
    };
    # The partition grows with the virtual disk (libvirt volumes are often resized).
    boot.growPartition = true;

    # Scripted networking with dhcpcd on every interface.
    networking.hostName = lib.mkDefault "nixlab";
    networking.useNetworkd = false;
    networking.useDHCP = true;

    # A serial getty for `virsh console`.
    systemd.targets.getty.wants = [ "serial-getty@ttyS0.service" ];

    nix.settings.experimental-features = [
      "nix-command"
      "flakes"
    ];
    nix.gc = {
      automatic = true;
      dates = "weekly";
      options = "--delete-older-than 14d";
    };

    system.build.qcow2 = import (modulesPath + "/../lib/make-disk-image.nix") {
      inherit config lib pkgs;
      name = "nixlab-${config.system.name}-qcow2";
      format = "qcow2";
      # MBR, one ext4 partition labelled "nixos": /dev/vda1, as fileSystems."/" expects.
      partitionTableType = "legacy";
      fsType = "ext4";
      label = "nixos";
      inherit (cfg) diskSize additionalSpace;
      # No nixpkgs channel in the image: these systems are built from flakes.
      copyChannel = false;
    };
  };
}
