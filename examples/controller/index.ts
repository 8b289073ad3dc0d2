// (c) A controller host: an existing NixOS machine becomes a nixlab controller (libvirtd, QEMU,
// the kernel build toolchain) over SSH, with rollback if it stops answering; then guests are
// created on it through qemu+ssh.
import * as pulumi from "@pulumi/pulumi";
import { ControllerHost, ImagelessGuest, NixosClosure } from "../../components";

const config = new pulumi.Config();
const host = config.require("host");

const controllerSystem = new NixosClosure("controller", {
  // Your controller's own flake (its hardware configuration plus nixlab's controller profile).
  source: {
    flake: config.require("controllerFlake"),
    attribute: `nixosConfigurations.${host}.config.system.build.toplevel`,
  },
});

const controller = new ControllerHost("controller", {
  connection: {
    host,
    user: "root",
    privateKey: config.requireSecret("sshPrivateKey"),
    knownHosts: config.require("knownHosts"),
  },
  closure: controllerSystem.closurePath,
  confirmTimeoutSeconds: 120,
});

// A guest on the controller. Its closure must be in the controller's store too: copy it there
// (nix copy, or a nixlab:nix:Copy), as ControllerHost does for its own system.
const guestSystem = new NixosClosure("guest", {
  source: { spec: { backend: "imageless", hostName: "guest", profiles: ["devel"] } },
});
const guest = new ImagelessGuest(
  "guest",
  {
    uri: controller.libvirtUri,
    closure: guestSystem,
    kernel: { flake: config.require("nixlabFlake"), attribute: "packages.x86_64-linux.kernel" },
  },
  { dependsOn: [controller] },
);

export const libvirtUri = controller.libvirtUri;
export const guestSsh = guest.sshCommand;
