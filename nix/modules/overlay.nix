# Applies overlays.default (nixlab's packages and its fio/xfstests changes) to the pkgs of
# the system. Imported by every module that uses one of those packages; a path import, so
# the module system includes it once however many modules import it.
{
  nixpkgs.overlays = [ (import ../overlays) ];
}
