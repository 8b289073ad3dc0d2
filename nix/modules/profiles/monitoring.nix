# nixosModules.profiles.monitoring: collectors that suit short-lived test machines:
# sysstat's sar history (I/O, CPU and memory over a test run, read back with `sar`), the
# interactive tools, and optionally a Prometheus node exporter for hosts that scrape.
# Importing the module enables it; nixlab.profiles.monitoring.enable = false turns it off.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.nixlab.profiles.monitoring;
in
{
  options.nixlab.profiles.monitoring = {
    enable = lib.mkEnableOption "the nixlab monitoring profile" // {
      default = true;
    };
    nodeExporter.enable = lib.mkEnableOption "the Prometheus node exporter (port 9100)";
  };

  config = lib.mkIf cfg.enable {
    services.sysstat.enable = true;

    environment.systemPackages = with pkgs; [
      sysstat
      iotop
      htop
      numactl
      lsof
      perf
    ];

    services.prometheus.exporters.node = lib.mkIf cfg.nodeExporter.enable {
      enable = true;
      # Per-disk and per-CPU detail matters more than on servers; the systemd collector
      # shows failed test units.
      enabledCollectors = [
        "systemd"
        "processes"
      ];
    };
  };
}
