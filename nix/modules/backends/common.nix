# What both backends share: key-only SSH, a root password that only works on the console,
# and the SSH host posture. Imported by backends/imageless and backends/libvirt.
{ config, lib, ... }:

let
  cfg = config.nixlab;
in
{
  options.nixlab.consolePassword = lib.mkOption {
    type = lib.types.nullOr lib.types.str;
    # The seed's (linux-kdevops/nixos-qemu) break-glass value.
    default = "root";
    example = "a-better-one";
    description = ''
      Break-glass root password. SSH refuses passwords (key-only), so it only opens the
      serial and virtio consoles, which only the host can reach. It is root's
      `initialPassword`: applied at every boot on the imageless backend (the root, and so
      /etc/shadow, is a fresh tmpfs) and at the first boot on the libvirt backend. null
      leaves root without a password.
    '';
  };

  config = {
    services.openssh = {
      enable = true;
      settings = {
        PasswordAuthentication = false;
        KbdInteractiveAuthentication = false;
        PermitRootLogin = "prohibit-password";
      };
    };

    users.users.root.initialPassword = lib.mkIf (cfg.consolePassword != null) cfg.consolePassword;

    # Test machines answer to whatever the host's tests send; the host's own network
    # (libvirt NAT, user networking) is the boundary.
    networking.firewall.enable = lib.mkDefault false;

    system.stateVersion = lib.mkDefault "25.11";
  };
}
