{
  description = "nixlab: NixOS test machines for Linux kernel and storage work";

  # Left unlocked on purpose: no flake.lock is committed, because it could not be produced
  # honestly where this flake is developed (no network access to GitHub). Consumers lock it
  # in their own flake.lock (`inputs.nixlab.inputs.nixpkgs.follows = "nixpkgs"`).
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f (pkgsFor system));
      pkgsFor =
        system:
        import nixpkgs {
          inherit system;
          overlays = [ self.overlays.default ];
        };

      mkSystem = import ./lib/mk-system.nix { inherit self nixpkgs; };

      # Small systems used by checks and nixosConfigurations (examples to copy from).
      examples = {
        imageless = mkSystem {
          spec = {
            backend = "imageless";
            hostName = "imageless";
            user = { };
            profiles = [ "devel" ];
            testSuites = [ "fstests" ];
            shares."/src/linux".tag = "linux";
          };
        };
        libvirt = mkSystem {
          spec = {
            backend = "libvirt";
            hostName = "libvirt";
            user = { };
            profiles = [ "devel" ];
            storage."/mnt/scratch" = {
              device = "/dev/vdb";
              fsType = "xfs";
              mkfsArgs = [ "-f" ];
            };
          };
        };
      };
    in
    {
      lib = import ./lib // {
        inherit mkSystem;
      };

      overlays.default = import ./overlays;

      nixosModules = {
        backends = {
          imageless = ./modules/backends/imageless;
          libvirt = ./modules/backends/libvirt;
        };
        user = ./modules/user.nix;
        mounts = {
          shares = ./modules/mounts/shares.nix;
          storage = ./modules/mounts/storage.nix;
        };
        profiles = {
          devel = ./modules/profiles/devel.nix;
          build-tools = ./modules/profiles/build-tools.nix;
          monitoring = ./modules/profiles/monitoring.nix;
          controller = ./modules/profiles/controller.nix;
        };
        testSuites = {
          fstests = ./modules/test-suites/fstests.nix;
          blktests = ./modules/test-suites/blktests.nix;
          selftests = ./modules/test-suites/selftests.nix;
          nfstest = ./modules/test-suites/nfstest.nix;
          pynfs = ./modules/test-suites/pynfs.nix;
          ltp = ./modules/test-suites/ltp.nix;
          mmtests = ./modules/test-suites/mmtests.nix;
        };
        # The overlay as a module, for configurations that use nixlab's packages directly.
        overlay = ./modules/nixpkgs-overlay.nix;
      };

      packages = forAllSystems (pkgs: {
        inherit (pkgs)
          damo
          libbpf-tools
          nfstest
          pynfs
          xnvme
          fio
          xfstests
          ;
        kernel = pkgs.nixlab-kernel;
      });

      devShells = forAllSystems (
        pkgs:
        let
          toolchain = import ./lib/toolchain.nix pkgs;
          shell =
            name: chain:
            pkgs.mkShell {
              inherit name;
              nativeBuildInputs = chain.tools;
              buildInputs = chain.libs;
            };
        in
        {
          build-kernel = shell "nixlab-build-kernel" toolchain.kernel;
          build-qemu = shell "nixlab-build-qemu" toolchain.qemu;
          systemd = shell "nixlab-systemd" toolchain.systemd;
        }
      );

      nixosConfigurations = examples;

      # Building both backends takes a binary cache in practice (the libvirt one builds a
      # kernel); CI without one only parses and lints this flake (tests/nix).
      checks.x86_64-linux = {
        imageless = examples.imageless.config.system.build.toplevel;
        libvirt = examples.libvirt.config.system.build.toplevel;
      };

      templates = {
        imageless = {
          path = ./templates/imageless;
          description = "A downstream flake with an imageless nixlab guest";
        };
        libvirt = {
          path = ./templates/libvirt;
          description = "A downstream flake with a libvirt (qcow2) nixlab guest";
        };
        default = self.templates.imageless;
      };
    };
}
