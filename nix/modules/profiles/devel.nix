# nixosModules.profiles.devel: the kernel and storage test toolchain, grouped by purpose.
# Importing the module enables it; nixlab.profiles.devel.enable = false turns it off again.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  groups = with pkgs; {
    filesystemsAndBlock = [
      xfsprogs
      xfsdump
      e2fsprogs
      btrfs-progs
      f2fs-tools
      exfatprogs
      dosfstools
      lvm2
      thin-provisioning-tools
      mdadm
      cryptsetup
      multipath-tools
      parted
      gptfdisk
      util-linux
      duperemove
      fsverity-utils
      libndctl # ndctl, daxctl: persistent-memory namespaces
    ];
    nvmeAndScsi = [
      nvme-cli
      libnvme
      sg3_utils
      sdparm
      lsscsi
      hdparm
      smartmontools
      targetcli
      xnvme
    ];
    # No dbench: nixpkgs dropped it in 2025 (PR #407953, unmaintained and broken).
    ioGenerators = [
      fio # overlays.default: with the xnvme engine, fio-io_uring and the job files
      liburing
      libaio
      stress-ng
      ioping
      blktrace
      iperf
    ];
    nfs = [
      nfs-utils
      nfstest
      pynfs
    ];
    bpfAndTracing = [
      bpftrace
      bcc
      libbpf-tools
      bpftools
      perf
      trace-cmd
      uftrace
      strace
      ltrace
      gdb
    ];
    monitoringAndProfiling = [
      sysstat
      iotop
      htop
      numactl
      lsof
      damo
      cpupower # overlays.default: built from a kernel tree, overridable with kernel-src
      pagemon
      powertop
      btop
    ];
    # What fstests, blktests and the kselftests call at run time besides the above.
    testRuntimeDeps = [
      xfstests
      acl
      attr
      quota
      keyutils
      libcap
      psmisc
      bc
      gawk
      perl
      python3
      which
      time
      procps
      openssl
      kmod
      libseccomp
      rpcbind
    ];
    developerComfort = [
      git
      vim
      neovim
      helix
      tmux
      screen
      zellij
      jq
      file
      tree
      pciutils
      usbutils
      iproute2
      ethtool
      dmidecode
      rsync
    ];
    pythonDataStack = [
      (python3.withPackages (ps: [
        ps.numpy
        ps.pandas
        ps.matplotlib
        ps.scipy
      ]))
      gnuplot
    ];
  };
in
{
  imports = [ ../overlay.nix ];

  options.nixlab.profiles.devel = {
    enable = lib.mkEnableOption "the nixlab devel profile (kernel and storage test tools)" // {
      default = true;
    };
    groups = lib.mkOption {
      type = lib.types.attrsOf (lib.types.listOf lib.types.package);
      default = groups;
      defaultText = lib.literalMD "filesystem, NVMe/SCSI, I/O, NFS, BPF, monitoring, test runtime, comfort and Python lists";
      description = ''
        The profile's packages by purpose. Replace a group to trim it:
        `nixlab.profiles.devel.groups.pythonDataStack = [ ];`.
      '';
    };
  };

  config = lib.mkIf config.nixlab.profiles.devel.enable {
    environment.systemPackages = lib.concatLists (lib.attrValues config.nixlab.profiles.devel.groups);

    # Completion for everything above (nvme, btrfs, systemctl, ...).
    programs.bash.completion.enable = true;
    environment.pathsToLink = [ "/share/bash-completion" ];

    # Man pages of all those tools.
    documentation.enable = true;
    documentation.man.enable = true;
  };
}
