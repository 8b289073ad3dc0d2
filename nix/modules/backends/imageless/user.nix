# The nixlab user account on the imageless backend: the user module plus this backend's
# default groups (wheel for sudo, kvm for nested guests). mkDefault: a plain definition of
# nixlab.user.extraGroups replaces the list.
{ lib, ... }:
{
  imports = [ ../../user.nix ];

  nixlab.user.extraGroups = lib.mkDefault [
    "wheel"
    "kvm"
  ];
}
