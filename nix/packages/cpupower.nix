# cpupower as a top-level package. nixpkgs builds it only per kernel
# (linuxPackages.cpupower), from that kernel's source tree (tools/power/cpupower). This is
# that recipe for linuxPackages_latest without the kernel's own patches: they change the
# kernel, not the tool, and would not apply to another tree. So
#   cpupower.overrideAttrs { src = inputs.kernel-src; }
# builds the cpupower of any kernel tree (a git checkout or a release tarball).
{ linuxPackages_latest }:

linuxPackages_latest.cpupower.overrideAttrs {
  patches = [ ];
}
