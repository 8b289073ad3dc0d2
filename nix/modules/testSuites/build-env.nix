# Shared by the test-suite modules: what it takes to build and run a test suite from its
# git checkout inside the guest, the way kdevops does it (it clones fstests, blktests,
# ltp, the kernel's selftests and mmtests and runs `make` there).
{ lib, pkgs, ... }:

let
  sw = "/run/current-system/sw";
in
{
  environment.systemPackages = with pkgs; [
    gnumake
    gcc
    autoconf
    automake
    libtool
    m4
    pkg-config
    git
  ];

  # Headers, static archives and pkg-config files of the libraries the suites list, in
  # /run/current-system/sw. Without this only the binaries of those packages land there
  # and every configure check for libaio, liburing, libcap, ... fails.
  environment.extraOutputsToInstall = [ "dev" ];

  # The compiler NixOS installs looks only at its own libc. Without these, builds outside
  # nix neither find the headers above (C_INCLUDE_PATH), nor link against their libraries
  # (LIBRARY_PATH), nor see their .pc files (PKG_CONFIG_PATH); and the binaries they make
  # could not find those libraries again at run time (the rpath in LDFLAGS).
  environment.variables = {
    C_INCLUDE_PATH = "${sw}/include";
    LIBRARY_PATH = "${sw}/lib";
    PKG_CONFIG_PATH = "${sw}/lib/pkgconfig:${sw}/share/pkgconfig";
    LDFLAGS = "-Wl,-rpath,${sw}/lib";
  };

  # The suites' scripts start with #!/bin/bash (fstests' check and common/*, blktests'
  # check and tests, most kselftests). patchShebangs only helps packaged copies; in a git
  # checkout they fail with "bad interpreter: No such file or directory" without this.
  # NixOS itself only provides /bin/sh and /usr/bin/env.
  systemd.tmpfiles.rules = [ "L+ /bin/bash - - - - ${lib.getExe pkgs.bashInteractive}" ];
}
