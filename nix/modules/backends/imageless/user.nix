# The imageless backend's defaults for the nixlab user account: wheel for sudo, kvm for
# nested guests. Only the options are imported here; nixosModules.user creates the account.
# mkDefault: a plain definition of nixlab.user.extraGroups replaces the list.
{ lib, ... }:
{
  imports = [ ../../user-options.nix ];

  nixlab.user.extraGroups = lib.mkDefault [
    "wheel"
    "kvm"
  ];
}
