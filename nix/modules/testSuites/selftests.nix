# nixosModules.testSuites.selftests: running the kernel's kselftests (tools/testing/
# selftests) built from the kernel tree in the guest, or installed there with
# `make -C tools/testing/selftests install`. Importing the module enables it;
# nixlab.testSuites.selftests.enable = false turns it off.
{
  config,
  lib,
  pkgs,
  ...
}:

{
  imports = [
    ./build-env.nix
    ./runner.nix
  ];

  options.nixlab.testSuites.selftests.enable = lib.mkEnableOption "what the kernel selftests need to build and run" // {
    default = true;
  };

  config = lib.mkIf config.nixlab.testSuites.selftests.enable {
    environment.systemPackages = with pkgs; [
      # Building: many targets include libraries' headers; bpf/ and sched_ext/ compile
      # BPF objects with clang and need bpftool, libelf and zlib.
      llvmPackages.clang
      llvmPackages.llvm
      bpftools
      elfutils
      zlib
      libcap
      libcap_ng
      numactl # mm/ (libnuma)
      fuse3 # filesystems/fuse
      openssl
      rsync # `make install`
      # Running: net/ and friends drive these.
      iproute2
      ethtool
      socat
      iperf3
      tcpdump
      jq
      python3
      perl
      bc
      keyutils
      kmod # the tests modprobe their test modules (test_bpf, test_kmod, ...)
    ];
  };
}
