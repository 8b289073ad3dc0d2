# A kernel for imageless guests, for users who do not bring their own: nixpkgs' latest
# kernel with everything the imageless boot path needs built in, because that initrd
# carries no modules at all (the modules come later, over virtiofs, at /lib/modules):
#   VIRTIO, VIRTIO_PCI          the virtio devices themselves (QEMU's virtio-*-pci);
#   FUSE_FS, VIRTIO_FS          the root of everything: /nix/store is virtiofs tag "store";
#   VIRTIO_BLK, VIRTIO_NET      disks under test and the network;
#   VIRTIO_CONSOLE              hvc0, the console the break-glass getty runs on;
#   TMPFS                       the root file system;
#   OVERLAY_FS                  used by container and test workloads early on;
#   AUTOFS_FS                   systemd (also in the initrd) wants autofs.
# nixpkgs' common config has several of these as modules, hence mkForce.
{
  lib,
  linuxPackages_latest,
}:

let
  yes = lib.mkForce lib.kernel.yes;
in
linuxPackages_latest.kernel.override {
  structuredExtraConfig = {
    VIRTIO = yes;
    VIRTIO_PCI = yes;
    FUSE_FS = yes;
    VIRTIO_FS = yes;
    VIRTIO_BLK = yes;
    VIRTIO_NET = yes;
    VIRTIO_CONSOLE = yes;
    TMPFS = yes;
    OVERLAY_FS = yes;
    AUTOFS_FS = yes;
  };
}
