# xNVMe: a user-space NVMe library and tools over several backends (io_uring and io_uring
# passthrough through liburing, libaio, the kernel's NVMe ioctls). nixpkgs has no xnvme.
#
# The release tarball (it bundles what upstream's meson subprojects would download) and
# its hash are the pair published in github.com/linux-kdevops/nixos-qemu, pkgs/xnvme.nix
# (commit b5ca46dc); not recomputed here (no network access to github.com releases).
# SPDK, libvfn and ISA-L backends are off: they would be built from bundled subprojects.
{
  lib,
  stdenv,
  fetchurl,
  meson,
  ninja,
  pkg-config,
  libaio,
  liburing,
}:

stdenv.mkDerivation rec {
  pname = "xnvme";
  version = "0.7.5";

  src = fetchurl {
    url = "https://github.com/xnvme/xnvme/releases/download/v${version}/xnvme-${version}.tar.gz";
    hash = "sha256-2VGjEV9oaVb1xrg5s5D/tQu0Q/dxH+NfV6B/TQZnJ38=";
  };

  nativeBuildInputs = [
    meson
    ninja
    pkg-config
  ];

  buildInputs = [
    libaio
    liburing
  ];

  mesonFlags = [
    (lib.mesonEnable "with-spdk" false)
    (lib.mesonEnable "with-libvfn" false)
    (lib.mesonEnable "with-isal" false)
    (lib.mesonBool "examples" false)
    (lib.mesonBool "tests" false)
    (lib.mesonBool "build_subprojects" false)
  ];

  meta = {
    description = "Cross-platform library and tools for NVMe devices";
    homepage = "https://xnvme.io";
    license = lib.licenses.bsd3;
    platforms = lib.platforms.linux;
    mainProgram = "xnvme";
  };
}
