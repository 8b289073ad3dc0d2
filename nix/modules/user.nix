# nixosModules.user: the unprivileged account, for people and for test harnesses (kdevops
# logs in as a user and uses sudo). Importing this module creates it; there is no enable
# switch. Its options (name, extraGroups, sshKeys) are in ./user-options.nix, and each
# backend's sibling user.nix sets that backend's default groups.
{ config, ... }:

let
  cfg = config.nixlab.user;
in
{
  imports = [ ./user-options.nix ];

  config = {
    nixlab.user.created = true;

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

    # Passwordless sudo for this account alone (unattended test runs would hang on a
    # prompt); wheel membership keeps its own rules.
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
