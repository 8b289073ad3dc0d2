{
  description = "A NixOS test guest built with nixlab: libvirt backend (qcow2 image)";

  inputs = {
    # Point this at your nixlab checkout or repository (the flake lives in its nix/ dir).
    nixlab.url = "git+file:///path/to/nixlab?dir=nix";
    nixpkgs.follows = "nixlab/nixpkgs";

    # A local kernel tree, as a non-flake input (see the commented module below).
    # linux-src = {
    #   url = "git+file:///home/me/src/linux";
    #   flake = false;
    # };
  };

  outputs =
    { self, nixlab, ... }:
    {
      nixosConfigurations.guest = nixlab.lib.mkSystem {
        spec = {
          backend = "libvirt";
          hostName = "guest";
          user.sshKeys = [ "ssh-ed25519 AAAA... me@host" ];
          sshKeys = [ "ssh-ed25519 AAAA... me@host" ];
          profiles = [
            "devel"
            "monitoring"
          ];
          testSuites = [
            "fstests"
            "blktests"
          ];
          storage."/mnt/scratch" = {
            device = "/dev/vdb";
            fsType = "xfs";
            mkfsArgs = [
              "-f"
              "-m"
              "reflink=1"
            ];
          };
          # MiB, or "auto" (the closure plus free space).
          diskSize = 20480;
        };

        modules = [
          # Building the guest's kernel from a local tree: override the source of a nixpkgs
          # kernel of the same major version, keeping its configuration machinery.
          # ({ pkgs, ... }: {
          #   boot.kernelPackages = pkgs.linuxPackagesFor (pkgs.linux_latest.override {
          #     argsOverride = {
          #       src = inputs.linux-src;
          #       version = "6.99.0-local";
          #       modDirVersion = "6.99.0";
          #     };
          #   });
          # })
          # (add `inputs` to the outputs function's arguments: `{ self, nixlab, ... }@inputs`)
        ];
      };

      # `nix build` gives the image: result/nixos.qcow2.
      packages.x86_64-linux.default = self.nixosConfigurations.guest.config.system.build.qcow2;
    };
}
