# lib.mkSystem: a NixOS system from a JSON-able spec (see nix/README.md, "The spec").
#
#   nixlab.lib.mkSystem { spec = builtins.fromJSON (builtins.readFile ./spec.json); }
#   nixlab.lib.mkSystem { spec = ./spec.json; modules = [ ./extra.nix ]; }
#
# `spec` is an attrset, a path to a JSON file, or a JSON string. The result is what
# nixpkgs.lib.nixosSystem returns: build .config.system.build.toplevel (both backends;
# imageless puts boot.json in it) or .config.system.build.qcow2 (libvirt).
{ self, nixpkgs }:

let
  # The flake's own nixpkgs input, unless the caller passes another.
  defaultNixpkgs = nixpkgs;
in
{
  spec,
  modules ? [ ],
  nixpkgs ? defaultNixpkgs,
}:

let
  inherit (nixpkgs) lib;
  specLib = import ./spec.nix;

  raw =
    if builtins.isAttrs spec then
      spec
    else if builtins.isPath spec then
      builtins.fromJSON (builtins.readFile spec)
    else if builtins.isString spec then
      builtins.fromJSON spec
    else
      throw "nixlab.lib.mkSystem: spec must be an attribute set, a path to a JSON file or a JSON string, got ${builtins.typeOf spec}";

  normalised = specLib.normalise raw;
  plan = import ./spec-module.nix normalised;

  pick =
    name:
    lib.attrByPath (lib.splitString "." name) (throw "nixlab.lib.mkSystem: no nixosModules.${name}") self.nixosModules;
in
nixpkgs.lib.nixosSystem {
  modules =
    map pick plan.modules
    ++ [
      plan.config
      (
        { pkgs, ... }:
        {
          environment.systemPackages = specLib.resolvePackages pkgs normalised.extraPackages;
        }
      )
    ]
    ++ modules;
}
