# nixosModules.testSuites.mmtests: Mel Gorman's mmtests (memory management and scheduler
# benchmarks) run from a git checkout. Its drivers are bash and perl; its monitors read
# sysstat, numa and CPU frequency data; reports plot with gnuplot. mmtests fetches and
# builds each benchmark itself, hence the build environment.
# Importing the module enables it; nixlab.testSuites.mmtests.enable = false turns it off.
{
  config,
  lib,
  pkgs,
  ...
}:

{
  imports = [
    ./build-env.nix
    ./runner.nix
    ../overlay.nix
  ];

  options.nixlab.testSuites.mmtests.enable = lib.mkEnableOption "what mmtests needs to run" // {
    default = true;
  };

  config = lib.mkIf config.nixlab.testSuites.mmtests.enable {
    environment.systemPackages = with pkgs; [
      (perl.withPackages (ps: [
        ps.FileSlurp
        ps.FileWhich
        ps.JSON
      ]))
      gnuplot # compare-kernels graphs
      sysstat # monitors: iostat, vmstat-style sar data
      numactl
      cpupower # overlays.default; monitors and CPU frequency setup
      dmidecode # machine description in the report
      bc
      time
      psmisc
      procps
      wget # benchmarks are downloaded by the shellpacks
      curl
      expect
      bzip2
      xz
    ];
  };
}
