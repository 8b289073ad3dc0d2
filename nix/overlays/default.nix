# overlays.default: nixlab's changes to nixpkgs and its own packages.
#
# Every source hash here is either nixpkgs' own (through `prev.<pkg>.src`) or a URL+hash
# pair whose origin is cited next to it; none is invented. See nix/README.md, "Hashes".
final: prev: {
  # fio, plus what kernel and storage people reach for next to it:
  #  - the xnvme ioengine: fio's configure enables it when pkg-config finds xnvme >= 0.7.4,
  #    and xnvme reaches io_uring (and io_uring passthrough) through liburing, so liburing
  #    is an input as well. fio's own io_uring engine issues the syscalls itself and links
  #    no library: without xnvme, liburing would change nothing in this build;
  #  - t/io_uring, Jens Axboe's peak-IOPS tester, installed as `fio-io_uring`;
  #  - the job files (examples/*.fio) and the test scripts of t/ (run-fio-tests.py and the
  #    NVMe passthrough / zbd checks), which the release tarball has but `make install`
  #    leaves out.
  fio = prev.fio.overrideAttrs (old: {
    buildInputs = (old.buildInputs or [ ]) ++ [
      final.xnvme
      final.liburing
    ];
    postBuild = (old.postBuild or "") + ''
      make -j"$NIX_BUILD_CORES" t/io_uring
    '';
    postInstall = (old.postInstall or "") + ''
      install -D -m 0755 t/io_uring "$out/bin/fio-io_uring"
      install -d "$out/share/fio/examples" "$out/share/fio/t"
      cp examples/*.fio "$out/share/fio/examples/"
      cp -r t/*.py t/*.sh t/jobs t/zbd "$out/share/fio/t/"
    '';
  });

  # xfstests: nixpkgs' package is a 2023 snapshot, far behind the kernels under test.
  # Bumped to the v2026.03.20 tag. The URL+hash pair is the one published in
  # github.com/linux-kdevops/nixos-qemu, overlays/xfstests.nix (commit b5ca46dc); it was
  # not recomputed here (no network access to git.kernel.org).
  # Newer xfstests find liburing through pkg-config for the io_uring tests.
  xfstests = prev.xfstests.overrideAttrs (old: rec {
    version = "2026.03.20";
    src = final.fetchzip {
      url = "https://git.kernel.org/pub/scm/fs/xfs/xfstests-dev.git/snapshot/xfstests-dev-v${version}.tar.gz";
      hash = "sha256-f82TsOEikGo9uQyM0hQmgy6A6R/2U4Ot/eINq34kohM=";
    };
    nativeBuildInputs = (old.nativeBuildInputs or [ ]) ++ [ final.pkg-config ];
    buildInputs = (old.buildInputs or [ ]) ++ [ final.liburing ];
  });

  # Top-level cpupower from a kernel source tree (nixpkgs has only linuxPackages.cpupower),
  # so `prev.cpupower.overrideAttrs { src = inputs.kernel-src; }` works as for the others.
  cpupower = final.callPackage ../packages/cpupower.nix { };
  damo = final.callPackage ../packages/damo.nix { };
  kirk = final.callPackage ../packages/kirk.nix { };
  libbpf-tools = final.callPackage ../packages/libbpf-tools.nix { };
  nfstest = final.callPackage ../packages/nfstest.nix { };
  pynfs = final.callPackage ../packages/pynfs.nix { };
  xnvme = final.callPackage ../packages/xnvme.nix { };

  # A kernel for imageless guests whose users bring none (see ../packages/kernel.nix).
  nixlab-kernel = final.callPackage ../packages/kernel.nix { };
}
