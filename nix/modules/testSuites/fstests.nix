# nixosModules.testSuites.fstests: what fstests (xfstests) needs on the machine under test
# to run without spurious "[not run]". Importing the module enables it;
# nixlab.testSuites.fstests.enable = false turns it off.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.nixlab.testSuites.fstests;

  # fstests' test users. Fixed ids, far above NixOS' static ids (< 400) and the ones it
  # hands out to system users (< 1000) and normal users (from 1000 up): results compare
  # ownership across runs and machines, and a stable uid keeps them comparable.
  qaUsers = {
    fsgqa = 7000;
    fsgqa2 = 7001;
    "123456-fsgqa" = 7002;
  };

  # The scratch mount point, when this guest runs fstests with one: fstests checks that it
  # is a directory before any test starts.
  suite = config.nixlab.suite;
  scratchMnt = if suite != null && suite.name or null == "fstests" then suite.options.SCRATCH_MNT or null else null;
in
{
  imports = [
    ./build-env.nix
    ./runner.nix
    ../overlay.nix
  ];

  options.nixlab.testSuites.fstests.enable = lib.mkEnableOption "what fstests needs to run" // {
    default = true;
  };

  config = lib.mkIf cfg.enable {
    environment.systemPackages = with pkgs; [
      # overlays.default: a current snapshot; `xfstests-check` runs it from the store.
      xfstests
      # The file systems under test. Without one, its whole group is "[not run]".
      xfsprogs
      xfsdump # xfs/*dump* tests
      e2fsprogs
      btrfs-progs
      f2fs-tools
      exfatprogs
      dosfstools
      # _require_command checks: each missing tool skips the tests that use it.
      acl # setfacl/getfacl: generic/ acl tests
      attr # getfattr/setfattr: xattr tests
      quota # quota tests
      fio # (dbench, which a few generic/ tests use, left nixpkgs in 2025: PR #407953)
      duperemove # btrfs/xfs dedupe tests
      fsverity-utils # generic/ verity tests
      keyutils # fscrypt key tests
      libcap # setcap/getcap
      psmisc # fuser, killall
      lvm2 # dmsetup: all dm-flakey, dm-error, dm-thin tests
      thin-provisioning-tools
      liburing
      libaio
      openssl
      util-linux
      bc
      gawk
      perl
      python3
      time
      which
      # Headers for building fstests from git (kdevops does): libxfs and libuuid.
      xfsprogs.dev
      util-linux.dev
      acl.dev
      attr.dev
    ];

    # _require_user / _require_group: tests that need an unprivileged user are "[not run]"
    # ("fsgqa user not defined.") unless these exist and can run /bin/true through su.
    users.groups = lib.mapAttrs (_: gid: { inherit gid; }) qaUsers;
    users.users = lib.mapAttrs (name: uid: {
      inherit uid;
      isNormalUser = true;
      group = name;
      # fstests' su calls need a real shell; a normal user gets the default one.
    }) qaUsers;

    # xfs/293, xfs/505, xfs/514, xfs/515 check that every xfs_io/xfs_spaceman/xfs_db/
    # xfs_quota command is documented: they run `man --path <tool>` and are "[not run]"
    # without man (documentation.enable also undoes the imageless backend's default off).
    documentation.enable = true;
    documentation.man.enable = true;

    # dmsetup waits for udev to acknowledge device-mapper events (udev "cookies"); without
    # lvm2's udev rules every dm-based test hangs until the cookie times out. These rules
    # come with services.lvm.enable, NixOS' default, kept on here on purpose.
    services.lvm.enable = true;

    # xfs/802 checks that xfs_scrub@.service and xfs_scrub_all.service are defined units
    # ("[not run]" otherwise). xfsprogs installs them in its "out" output; they call
    # xfs_scrub from /run/current-system/sw/bin and keep state in /var/lib/xfsprogs.
    systemd.packages = [ pkgs.xfsprogs.out ];
    systemd.tmpfiles.rules = [
      "d /var/lib/xfsprogs 0755 root root -"
    ]
    ++ lib.optional (scratchMnt != null) "d ${scratchMnt} 0755 root root -";
  };
}
