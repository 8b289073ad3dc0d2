# The nixlab user account on the libvirt backend: as on imageless, plus libvirtd so the
# account can drive nested libvirt (e.g. kdevops' guests) without sudo.
{ lib, ... }:
{
  imports = [ ../../user.nix ];

  nixlab.user.extraGroups = lib.mkDefault [
    "wheel"
    "kvm"
    "libvirtd"
  ];

  # The group exists even without libvirtd enabled in this guest, so membership never
  # points at a missing group; virtualisation.libvirtd gives it its fixed gid when enabled.
  users.groups.libvirtd = { };
}
