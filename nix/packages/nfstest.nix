# NFStest: NFS client/server tests (delegations, locking, pNFS, sparse files, SSC, ...).
#
# The URL+hash pair is the one published in github.com/linux-kdevops/nixos-qemu,
# pkgs/nfstest.nix (commit b5ca46dc); it was not recomputed here (no network access to
# linux-nfs.org). Upstream's setup.py still imports distutils (gone from Python 3.12) and
# renders its man pages during `build` by running the not-yet-installed scripts; both are
# patched out below (the strings are upstream's, as that derivation patches them).
{
  lib,
  python3Packages,
  fetchurl,
  nfs-utils,
  tcpdump,
}:

python3Packages.buildPythonApplication rec {
  pname = "nfstest";
  version = "3.2";
  pyproject = true;

  src = fetchurl {
    url = "http://www.linux-nfs.org/~mora/nfstest/releases/NFStest-${version}.tar.gz";
    hash = "sha256-TUxcWttygx9Xhyde8jxUFP9cV84SDK+xzVPeB2ZXRcE=";
  };

  postPatch = ''
    substituteInPlace setup.py \
      --replace-fail 'create_manpage.run()' 'pass' \
      --replace-fail 'from distutils.core import setup' 'from setuptools import setup' \
      --replace-fail 'from distutils.command.build import build' 'from setuptools.command.build import build'
  '';

  build-system = [ python3Packages.setuptools ];

  # The tests mount NFS exports and capture packets.
  dependencies = [
    nfs-utils
    tcpdump
  ];

  # The suite needs an NFS server and root; nothing to run at build time.
  doCheck = false;

  meta = {
    description = "Tests for the Linux NFS client and server";
    homepage = "https://wiki.linux-nfs.org/wiki/index.php/NFStest";
    license = lib.licenses.gpl2Only;
    platforms = lib.platforms.linux;
    mainProgram = "nfstest_posix";
  };
}
