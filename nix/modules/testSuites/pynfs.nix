# nixosModules.testSuites.pynfs: pynfs tests an NFSv4.0/4.1 server over the network from
# this machine (pynfs-nfs4.0 / pynfs-nfs4.1 SERVER:/export). It needs no kernel NFS client;
# the tests it runs against a Linux server need that server to export with
# no_root_squash. Importing the module enables it; nixlab.testSuites.pynfs.enable = false
# turns it off.
{
  config,
  lib,
  pkgs,
  ...
}:

{
  imports = [
    ./runner.nix
    ../overlay.nix
  ];

  options.nixlab.testSuites.pynfs.enable = lib.mkEnableOption "pynfs" // {
    default = true;
  };

  config = lib.mkIf config.nixlab.testSuites.pynfs.enable {
    environment.systemPackages = [ pkgs.pynfs ];
  };
}
