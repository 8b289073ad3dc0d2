# Stand-in for nixpkgs' nixos/lib/make-disk-image.nix: returns the arguments it was
# called with (less config, lib and pkgs), so tests can check them.
args:
builtins.removeAttrs args [
  "config"
  "lib"
  "pkgs"
]
