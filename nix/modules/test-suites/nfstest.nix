# nixosModules.testSuites.nfstest: NFStest runs on an NFS client against a server given
# with --server. Importing the module enables it; nixlab.testSuites.nfstest.enable = false
# turns it off.
{
  config,
  lib,
  pkgs,
  ...
}:

{
  imports = [ ../nixpkgs-overlay.nix ];

  options.nixlab.testSuites.nfstest.enable = lib.mkEnableOption "what NFStest needs to run" // {
    default = true;
  };

  config = lib.mkIf config.nixlab.testSuites.nfstest.enable {
    environment.systemPackages = with pkgs; [
      nfstest
      nfs-utils # mount.nfs
      tcpdump # the tests capture and decode the NFS traffic they cause
    ];

    # NFS client support: mount.nfs in the system, and rpcbind and rpc.statd for NFSv3
    # locking. Without it NFSv3 mounts fail (or lock tests fail with ENOLCK).
    boot.supportedFilesystems = [ "nfs" ];
  };
}
