# Build toolchains, one list per thing people build on these machines. Shared by the
# build-tools profile (installs all of them) and the devShells (one each).
#   tools: programs run during the build (nativeBuildInputs in a shell)
#   libs:  libraries the build links against (buildInputs in a shell, so their headers and
#          pkg-config files are found)
pkgs:

let
  kernel = {
    tools = with pkgs; [
      gnumake
      gcc
      binutils
      flex
      bison
      bc
      perl
      python3
      pkg-config
      kmod # depmod for modules_install
      cpio # CONFIG_IKHEADERS
      zstd
      lz4
      xz
      gzip
      rsync # headers_install
      pahole # CONFIG_DEBUG_INFO_BTF
      sparse # make C=1
      git
      # make LLVM=1: clang, ld.lld and the llvm-* binutils (llvm-ar, llvm-nm, llvm-objcopy,
      # llvm-strip, ...). lld unwrapped and alone, so GNU ld stays `ld` for gcc builds.
      llvmPackages.clang
      llvmPackages.lld
      llvmPackages.llvm
    ];
    libs = with pkgs; [
      elfutils # libelf for objtool and BPF
      openssl # module signing
      ncurses # menuconfig
    ];
  };

  qemu = {
    tools = with pkgs; [
      gnumake
      gcc
      meson
      ninja
      pkg-config
      python3
      flex
      bison
      git
    ];
    libs = with pkgs; [
      glib
      pixman
      zlib
      dtc
      libslirp
      libcap_ng
      libseccomp
      libaio
      liburing
      zstd
      ncurses
    ];
  };

  # Building systemd, and driving the host's: the systemd package's own tools
  # (systemctl, journalctl, systemd-analyze, systemd-run, systemd-escape, busctl,
  # networkctl, ...) come first.
  systemd = {
    tools = with pkgs; [
      systemd
      gcc
      meson
      ninja
      pkg-config
      gperf
      (python3.withPackages (ps: [
        ps.jinja2
        ps.pyelftools
      ]))
      git
    ];
    libs = with pkgs; [
      libcap
      util-linux # libmount, libblkid
      libxcrypt
      acl
      kmod
      libseccomp
      openssl
      zstd
      xz
      lz4
    ];
  };
in
{
  inherit kernel qemu systemd;

  # Everything, for environment.systemPackages.
  all = kernel.tools ++ kernel.libs ++ qemu.tools ++ qemu.libs ++ systemd.tools ++ systemd.libs;
}
