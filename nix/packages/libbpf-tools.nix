# libbpf-tools: the CO-RE (compile once, run everywhere) rewrites of the BCC tools
# (biolatency, biosnoop, ext4slower, offcputime, ...). They need no LLVM or kernel
# headers on the machine under test, unlike the Python tools in pkgs.bcc.
#
# Built from the libbpf-tools/ directory of the BCC release, with its git submodules
# (the libbpf and bpftool it builds itself). The tag+hash pair (fetchSubmodules = true) is
# the one published in github.com/linux-kdevops/nixos-qemu, pkgs/libbpf-tools.nix
# (commit b5ca46dc); not recomputed here. pkgs.bcc's own src is fetched without
# submodules, so it cannot be reused.
#
# The binaries are installed with a "-libbpf" suffix (biolatency-libbpf, ...), Debian's
# libbpf-tools convention: pkgs.bcc puts tools of the same names on PATH, and the two must
# not shadow each other.
{
  lib,
  stdenv,
  fetchFromGitHub,
  llvmPackages,
  elfutils,
  zlib,
  openssl,
  libcap,
  pkg-config,
}:

stdenv.mkDerivation rec {
  pname = "libbpf-tools";
  version = "0.36.1";

  src = fetchFromGitHub {
    owner = "iovisor";
    repo = "bcc";
    tag = "v${version}";
    fetchSubmodules = true;
    hash = "sha256-yfIyV+NKaSYMNjqFpxPwCgetPacC8OrBBGxRG3P2z0o=";
  };

  sourceRoot = "${src.name}/libbpf-tools";

  nativeBuildInputs = [
    llvmPackages.clang # compiles the BPF objects (-target bpf)
    llvmPackages.llvm # llvm-strip for the BPF objects
    pkg-config
  ];

  # The tools link libelf and zlib (as pkgs.bcc links elfutils). The vendored bpftool,
  # built first to generate the BPF skeletons, also wants libcrypto (openssl) and libcap,
  # which its Makefile probes for.
  buildInputs = [
    elfutils # libelf
    zlib
    openssl
    libcap
  ];

  # The BPF programs are compiled with clang for the BPF target, where these hardening
  # flags do not apply and make clang fail.
  hardeningDisable = [
    "stackprotector"
    "zerocallusedregs"
  ];

  # blazesym (symbolisation) would be built with cargo inside the build: off.
  makeFlags = [
    "USE_BLAZESYM=0"
    "prefix=${placeholder "out"}"
  ];

  enableParallelBuilding = true;

  # Links (btrfsdist -> fsdist, ...) are recreated to point at the renamed target.
  postInstall = ''
    for tool in "$out"/bin/*; do
      name=$(basename "$tool")
      case "$name" in
        *-libbpf) continue ;;
      esac
      if [ -L "$tool" ]; then
        target=$(basename "$(readlink "$tool")")
        ln -sfn "$target-libbpf" "$out/bin/$name-libbpf"
        rm "$tool"
      else
        mv "$tool" "$out/bin/$name-libbpf"
      fi
    done
  '';

  meta = {
    description = "Standalone libbpf (CO-RE) versions of the BCC tracing tools";
    homepage = "https://github.com/iovisor/bcc/tree/master/libbpf-tools";
    license = with lib.licenses; [
      lgpl21Only
      bsd2
    ];
    platforms = lib.platforms.linux;
  };
}
