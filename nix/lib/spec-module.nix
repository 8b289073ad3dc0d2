# A normalised spec (./spec.nix) -> what lib.mkSystem builds: the names of the
# nixosModules to import and the NixOS configuration the spec stands for. Builtins only,
# so tests can compare the configuration exactly; mk-system.nix adds what needs nixpkgs
# (the modules themselves and the extraPackages).
spec:

let
  optionalAttrs = cond: attrs: if cond then attrs else { };
  user = spec.user;
in
{
  # Attribute paths into nixosModules, in import order.
  # Importing nixosModules.user is what creates the account.
  modules = [
    "backends.${spec.backend}"
    "mounts.shares"
    "mounts.storage"
  ]
  ++ (if user == null then [ ] else [ "user" ])
  ++ map (p: "profiles.${p}") spec.profiles
  ++ map (s: "testSuites.${s}") spec.testSuites;

  config = {
    networking.hostName = spec.hostName;
    system.stateVersion = spec.stateVersion;
    nixpkgs.hostPlatform = spec.system;
    users.users.root.openssh.authorizedKeys.keys = spec.sshKeys;
    boot.kernelParams = spec.kernelParams;
    nixlab = {
      inherit (spec) shares storage;
    }
    // optionalAttrs (user != null) {
      user = {
        inherit (user) name sshKeys;
      }
      // optionalAttrs (user.extraGroups != null) { inherit (user) extraGroups; };
    }
    // optionalAttrs (spec.suite != null) { inherit (spec) suite; }
    // optionalAttrs (spec.consolePassword != null) { inherit (spec) consolePassword; }
    // optionalAttrs (builtins.elem "controller" spec.profiles) { controller.enable = true; }
    // optionalAttrs (spec.backend == "libvirt") { libvirt.diskSize = spec.diskSize; };
  };
}
