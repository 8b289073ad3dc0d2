# nixosModules.profiles.controller: a machine that builds kernels and drives other test
# guests (kdevops' "control node"): kernel and Kconfig toolchain, Ansible, git, QEMU and
# virtiofsd, and libvirtd with KVM. Off until nixlab.controller.enable is set.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.nixlab.controller;
  toolchain = import ../../lib/toolchain.nix pkgs;
in
{
  # For nixlab.user.* below; the account itself exists only if nixosModules.user is imported.
  imports = [ ../user-options.nix ];

  options.nixlab.controller.enable = lib.mkEnableOption "the controller profile (kernel builds, Ansible, QEMU, libvirtd)";

  config = lib.mkIf cfg.enable {
    environment.systemPackages =
      toolchain.kernel.tools
      ++ toolchain.kernel.libs
      ++ (with pkgs; [
        ansible
        git
        qemu
        virtiofsd
        libvirt
      ]);
    environment.extraOutputsToInstall = [ "dev" ];

    virtualisation.libvirtd.enable = true;
    boot.kernelModules = [
      "kvm-intel"
      "kvm-amd"
    ];

    # The nixlab user drives the guests; appended to, not replacing, its other groups.
    users.users = lib.mkIf config.nixlab.user.created {
      ${config.nixlab.user.name}.extraGroups = [
        "libvirtd"
        "kvm"
      ];
    };
  };
}
