# nixosModules.testSuites.ltp: building the Linux Test Project from git in the guest and
# running it (kirk or runltp). nixpkgs has no LTP package; kdevops builds it from source.
# Importing the module enables it; nixlab.testSuites.ltp.enable = false turns it off.
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
    ../overlay.nix
  ];

  options.nixlab.testSuites.ltp.enable = lib.mkEnableOption "what LTP needs to build and run" // {
    default = true;
  };

  config = lib.mkIf config.nixlab.testSuites.ltp.enable {
    environment.systemPackages = with pkgs; [
      # Build: LTP's configure probes each of these; a missing library compiles the
      # affected tests as stubs that report TCONF ("skipped") at run time.
      flex
      bison
      libaio # io/ and aio tests
      libcap # capability tests
      acl # ACL tests
      numactl # numa/ tests (libnuma)
      keyutils # keyctl tests (libkeyutils)
      libtirpc # rpc/ tests
      libmnl # netlink-based tests
      libseccomp
      openssl
      # Run: the runners and the commands tests call.
      python3 # kirk
      util-linux
      psmisc
      iproute2
      bc
      gawk
      kmod
      quota
      e2fsprogs
      xfsprogs
      btrfs-progs
    ];
  };
}
