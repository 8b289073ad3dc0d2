{
  description = "nixlab: NixOS test machines for Linux kernel and storage work";

  # Pinned by flake.lock (the revision linux-kdevops/nixos-qemu pins); `nix flake update`
  # in this directory moves the pin along the branch. Downstream flakes follow it with
  # `inputs.nixpkgs.follows = "nixlab/nixpkgs"`, and so do the flakes nixlab generates for
  # spec-built guests unless the stack overrides `nixpkgs`.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";

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
          fstests = ./modules/testSuites/fstests.nix;
          blktests = ./modules/testSuites/blktests.nix;
          selftests = ./modules/testSuites/selftests.nix;
          nfstest = ./modules/testSuites/nfstest.nix;
          pynfs = ./modules/testSuites/pynfs.nix;
          ltp = ./modules/testSuites/ltp.nix;
          mmtests = ./modules/testSuites/mmtests.nix;
        };
        # The overlay as a module, for configurations that use nixlab's packages directly.
        overlay = ./modules/overlay.nix;
      };

      packages = forAllSystems (pkgs: {
        inherit (pkgs)
          cpupower
          damo
          kirk
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
