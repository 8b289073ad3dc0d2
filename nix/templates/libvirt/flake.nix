{
  description = "A NixOS test guest built with nixlab: libvirt backend (qcow2 image)";

  inputs = {
    # Point this at your nixlab checkout or repository (the flake lives in its nix/ dir).
    nixlab.url = "git+file:///path/to/nixlab?dir=nix";
    nixpkgs.follows = "nixlab/nixpkgs";

    # A local kernel tree for the guest's kernel, as a non-flake input (see the commented
    # module below).
    # linux-src = {
    #   url = "git+file:///home/me/src/linux";
    #   flake = false;
    # };

    # Local source checkouts to build packages from, as non-flake inputs (the table in
    # nix/README.md, "Building packages from local source"). Uncomment the ones you work
    # on and the matching overlay lines below; `nix flake update <name>` picks up commits.
    # kernel-src = {
    #   url = "git+file:///home/me/src/linux"; # cpupower builds from tools/power/cpupower
    #   flake = false;
    # };
    # damo-src = {
    #   url = "git+file:///home/me/src/damo";
    #   flake = false;
    # };
    # fio-src = {
    #   url = "git+file:///home/me/src/fio";
    #   flake = false;
    # };
    # kmod-src = {
    #   url = "git+file:///home/me/src/kmod";
    #   flake = false;
    # };
    # nfstest-src = {
    #   url = "git+file:///home/me/src/nfstest";
    #   flake = false;
    # };
    # pynfs-src = {
    #   url = "git+file:///home/me/src/pynfs";
    #   flake = false;
    # };
    # xfstests-src = {
    #   url = "git+file:///home/me/src/xfstests-dev";
    #   flake = false;
    # };
    # xnvme-src = {
    #   url = "git+file:///home/me/src/xnvme";
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

          # Building packages from the local checkouts above: replace the source and keep
          # the rest of the recipe. This overlay comes after nixlab's overlays.default, so
          # `prev.<package>` is nixlab's version of it (xfstests bumped, fio with xnvme).
          # ({ ... }: {
          #   nixpkgs.overlays = [
          #     (final: prev: {
          #       cpupower = prev.cpupower.overrideAttrs { src = inputs.kernel-src; };
          #       damo = prev.damo.overrideAttrs { src = inputs.damo-src; };
          #       # nixpkgs' fio patches are already in a current checkout.
          #       fio = prev.fio.overrideAttrs { src = inputs.fio-src; patches = [ ]; };
          #       kmod = prev.kmod.overrideAttrs { src = inputs.kmod-src; };
          #       nfstest = prev.nfstest.overrideAttrs { src = inputs.nfstest-src; };
          #       pynfs = prev.pynfs.overrideAttrs { src = inputs.pynfs-src; };
          #       xfstests = prev.xfstests.overrideAttrs { src = inputs.xfstests-src; };
          #       xnvme = prev.xnvme.overrideAttrs { src = inputs.xnvme-src; };
          #     })
          #   ];
          # })
        ];
      };

      # `nix build` gives the image: result/nixos.qcow2.
      packages.x86_64-linux.default = self.nixosConfigurations.guest.config.system.build.qcow2;
    };
}
