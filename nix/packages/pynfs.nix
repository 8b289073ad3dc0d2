# pynfs: the NFSv4.0/4.1 server conformance test suite.
#
# Upstream has no releases and is meant to be run from its source tree (its scripts put
# the tree's xdr/, rpc/ and lib/ on sys.path themselves), so the tree is built in place
# (`setup.py build` generates the XDR packers with ply) and installed whole under
# share/pynfs, with wrappers for the two test servers.
#
# The hash was computed here: `git archive` of commit d3a16108 of github.com/ffilz/pynfs,
# unpacked and hashed with `nix hash path` (the same tree fetchFromGitHub unpacks). It
# matches the pair published in github.com/linux-kdevops/nixos-qemu, pkgs/pynfs.nix.
{
  lib,
  stdenvNoCC,
  fetchFromGitHub,
  makeWrapper,
  python3,
}:

let
  # setuptools provides the `distutils` that pynfs' setup scripts import (Python >= 3.12
  # has none of its own); ply is xdrgen's parser.
  python = python3.withPackages (ps: [
    ps.ply
    ps.setuptools
  ]);
in
stdenvNoCC.mkDerivation {
  pname = "pynfs";
  version = "0-unstable-2021-08-17";

  src = fetchFromGitHub {
    owner = "ffilz";
    repo = "pynfs";
    rev = "d3a1610815117cb6bdf6567e575baedb0d88095e";
    hash = "sha256-grigxIDAQG4hnwA/YmsHNP3aKX61uw76I/ClgT0+u8Q=";
  };

  nativeBuildInputs = [
    makeWrapper
    python
  ];

  # The top-level setup.py runs `python3 setup.py build` in xdr/, rpc/, nfs4.1/ and nfs4.0/.
  buildPhase = ''
    runHook preBuild
    patchShebangs .
    python3 setup.py build
    runHook postBuild
  '';

  installPhase = ''
    runHook preInstall
    mkdir -p "$out/share" "$out/bin"
    cp -r . "$out/share/pynfs"
    makeWrapper ${python}/bin/python3 "$out/bin/pynfs-nfs4.0" \
      --add-flags "$out/share/pynfs/nfs4.0/testserver.py"
    makeWrapper ${python}/bin/python3 "$out/bin/pynfs-nfs4.1" \
      --add-flags "$out/share/pynfs/nfs4.1/testserver.py"
    makeWrapper ${python}/bin/python3 "$out/bin/pynfs-showresults" \
      --add-flags "$out/share/pynfs/showresults.py"
    runHook postInstall
  '';

  meta = {
    description = "NFSv4.0 and NFSv4.1 server conformance tests";
    homepage = "https://github.com/ffilz/pynfs";
    license = lib.licenses.gpl2Only;
    platforms = lib.platforms.linux;
    mainProgram = "pynfs-nfs4.1";
  };
}
