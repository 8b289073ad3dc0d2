# The options of the nixlab user account, declared apart from the account itself so that the
# backends (their sibling user.nix) and the controller profile can set defaults whether or not
# the account exists. Importing nixosModules.user (./user.nix) is what creates it.
{ lib, ... }:
{
  options.nixlab.user = {
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

    # Set by ./user.nix alone: lets other modules (the controller profile) add to the
    # account only when it exists. Not a switch: importing nixosModules.user is the opt-in.
    created = lib.mkOption {
      type = lib.types.bool;
      default = false;
      internal = true;
      readOnly = true;
      description = "Whether nixosModules.user is imported (the account exists).";
    };
  };
}
