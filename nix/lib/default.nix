# nixlab's Nix library: everything here evaluates without nixpkgs (builtins only), except
# `toolchain` (a function of pkgs). The flake adds `mkSystem` (./mk-system.nix).
{
  escape = import ./escape.nix;
  mounts = import ./mounts.nix;
  boot = import ./boot.nix;
  kernelConfig = import ./kernel-config.nix;
  spec = import ./spec.nix;
  specModule = import ./spec-module.nix;
  suites = import ./suites.nix;
  toolchain = import ./toolchain.nix;
}
