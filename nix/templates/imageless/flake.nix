{
  description = "A NixOS test guest built with nixlab: imageless backend";

  inputs = {
    # Point this at your nixlab checkout or repository (the flake lives in its nix/ dir).
    nixlab.url = "git+file:///path/to/nixlab?dir=nix";
    nixpkgs.follows = "nixlab/nixpkgs";

    # Local source checkouts to build packages from, as non-flake inputs. Uncomment the
    # ones you work on; `nix flake update xfsprogs-src` picks up new commits.
    # xfsprogs-src = {
    #   url = "git+file:///home/me/src/xfsprogs-dev";
    #   flake = false;
    # };
    # fstests-src = {
    #   url = "git+file:///home/me/src/xfstests-dev";
    #   flake = false;
    # };
  };

  outputs =
    { self, nixlab, ... }:
    {
      nixosConfigurations.guest = nixlab.lib.mkSystem {
        # The same spec the TypeScript components write as JSON (nix/README.md).
        spec = {
          backend = "imageless";
          hostName = "guest";
          user.sshKeys = [ "ssh-ed25519 AAAA... me@host" ];
          sshKeys = [ "ssh-ed25519 AAAA... me@host" ];
          profiles = [ "devel" ];
          testSuites = [ "fstests" ];
          # Host directories over virtiofs: mount point -> tag.
          shares."/src/linux".tag = "linux";
          # Disks under test, formatted on first boot unless they already hold a file system.
          storage."/mnt/test" = {
            device = "/dev/vdb";
            fsType = "xfs";
            mkfsArgs = [ "-f" ];
          };
          kernelParams = [ "nokaslr" ];
        };

        # Any further NixOS modules.
        modules = [
          (
            { pkgs, ... }:
            {
              environment.systemPackages = [ pkgs.hello ];
            }
          )

          # Building packages from the local checkouts above: override the source (and the
          # version, which names the store path) and keep the rest of nixpkgs' recipe.
          # ({ ... }: {
          #   nixpkgs.overlays = [
          #     (final: prev: {
          #       xfsprogs = prev.xfsprogs.overrideAttrs (old: {
          #         version = "git";
          #         src = inputs.xfsprogs-src;
          #         # The release tarball ships a generated configure; a git tree does not.
          #         nativeBuildInputs = old.nativeBuildInputs ++ [ final.autoreconfHook ];
          #       });
          #       xfstests = prev.xfstests.overrideAttrs (old: {
          #         version = "git";
          #         src = inputs.fstests-src;
          #       });
          #     })
          #   ];
          # })
          # (add `inputs` to the outputs function's arguments: `{ self, nixlab, ... }@inputs`)
        ];
      };

      # `nix build` gives the system; result/boot.json tells the host how to boot it.
      packages.x86_64-linux.default = self.nixosConfigurations.guest.config.system.build.toplevel;
    };
}
