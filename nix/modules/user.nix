# nixosModules.user: an optional unprivileged account, for people and for test harnesses
# (kdevops logs in as a user and uses sudo).
{ config, lib, ... }:

let
  cfg = config.nixlab.user;
in
{
  options.nixlab.user = {
    enable = lib.mkEnableOption "the nixlab user account (a normal user with passwordless sudo)";

    name = lib.mkOption {
      type = lib.types.strMatching "[a-z_][a-z0-9_-]{0,31}";
      default = "user";
      example = "kdevops";
      description = "Login name of the account.";
    };

    extraGroups = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [
        "wheel"
        "kvm"
      ];
      description = ''
        Supplementary groups of the account. The backends set a default at `mkDefault`
        priority ([ "wheel" "kvm" ], plus "libvirtd" on the libvirt backend); any plain
        definition replaces that list.
      '';
    };

    sshKeys = lib.mkOption {
      type = lib.types.listOf lib.types.singleLineStr;
      default = [ ];
      example = [ "ssh-ed25519 AAAAC3Nza... me@host" ];
      description = "SSH public keys allowed to log in as this user.";
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = cfg.name != "root";
        message = "nixlab.user.name: \"root\" is not an unprivileged account; pick another name";
      }
    ];

    users.users.${cfg.name} = {
      isNormalUser = true;
      inherit (cfg) extraGroups;
      openssh.authorizedKeys.keys = cfg.sshKeys;
    };

    # Passwordless sudo for this account alone; wheel membership keeps its own rules.
    security.sudo.extraRules = [
      {
        users = [ cfg.name ];
        commands = [
          {
            command = "ALL";
            options = [ "NOPASSWD" ];
          }
        ];
      }
    ];
  };
}
