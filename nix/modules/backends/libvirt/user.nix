# The libvirt backend's defaults for the nixlab user account: as on imageless, plus libvirtd
# so the account can drive nested libvirt (e.g. kdevops' guests) without sudo. Only the
# options are imported here; nixosModules.user creates the account.
{ lib, ... }:
{
  imports = [ ../../user-options.nix ];

  nixlab.user.extraGroups = lib.mkDefault [
    "wheel"
    "kvm"
    "libvirtd"
  ];

  # The group exists even without libvirtd enabled in this guest, so membership never
  # points at a missing group; virtualisation.libvirtd gives it its fixed gid when enabled.
  users.groups.libvirtd = { };
}
