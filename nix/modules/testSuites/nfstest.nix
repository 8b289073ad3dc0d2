# nixosModules.testSuites.nfstest: NFStest runs on an NFS client against a server given
# with --server. Importing the module enables it; nixlab.testSuites.nfstest.enable = false
# turns it off.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  # The server role (nixlab.suite = { name = "nfstest"; options.role = "server"; }) exports
  # one directory to the test network.
  suite = config.nixlab.suite;
  settings = if suite != null && suite.name or null == "nfstest" then suite.options or { } else { };
  isServer = (settings.role or "client") == "server";
  export = settings.export or "/export";
in
{
  imports = [
    ./runner.nix
    ../overlay.nix
  ];

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

    # rw and no_root_squash: the tests create, chown and lock files as root; insecure: the
    # clients' test tools use ports above 1024; sync, no_subtree_check: nfsd's defaults,
    # spelt out (exportfs warns when they are left implicit).
    services.nfs.server = lib.mkIf isServer {
      enable = true;
      exports = "${export} *(rw,sync,no_subtree_check,no_root_squash,insecure)\n";
    };
  };
}
