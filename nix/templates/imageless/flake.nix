{
  description = "A NixOS test guest built with nixlab: imageless backend";

  inputs = {
    # Point this at your nixlab checkout or repository (the flake lives in its nix/ dir).
    nixlab.url = "git+file:///path/to/nixlab?dir=nix";
    nixpkgs.follows = "nixlab/nixpkgs";

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
          # The suite this guest runs: its configuration, /etc/nixlab/suite.json and
          # `nixlab-run-suite` are generated from this (nix/README.md, "Test suites").
          suite = {
            name = "fstests";
            section = "xfs";
            options = {
              FSTYP = "xfs";
              TEST_DEV = "/dev/vdb";
              TEST_DIR = "/mnt/test";
            };
          };
        };

        # Any further NixOS modules.
        modules = [
          (
            { pkgs, ... }:
            {
              environment.systemPackages = [ pkgs.hello ];
            }
          )

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
          # (add `inputs` to the outputs function's arguments: `{ self, nixlab, ... }@inputs`)
        ];
      };

      # `nix build` gives the system; result/boot.json tells the host how to boot it.
      packages.x86_64-linux.default = self.nixosConfigurations.guest.config.system.build.toplevel;
    };
}
