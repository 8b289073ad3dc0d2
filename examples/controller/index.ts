// (c) A controller host: an existing NixOS machine becomes a nixlab controller (libvirtd, QEMU,
// the kernel build toolchain) over SSH, with rollback if it stops answering; then guests are
// created on it through qemu+ssh. (In a stack config, the same is a `hosts` entry with
// `controller: { flake, attribute }`: README, "More than one machine".)
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

// A guest on the controller, once it is activated: `controller.host` copies the guest's closure
// and kernel to the controller's store (nixlab:nix:Copy) before the domain is defined there over
// qemu+ssh, with the same key and pinned host key.
const guestSystem = new NixosClosure("guest", {
  source: { spec: { backend: "imageless", hostName: "guest", profiles: ["devel"] } },
});
const guest = new ImagelessGuest("guest", {
  host: controller.host,
  closure: guestSystem,
  kernel: { flake: config.require("nixlabFlake"), attribute: "packages.x86_64-linux.kernel" },
});

export const libvirtUri = controller.libvirtUri;
export const guestSsh = guest.sshCommand;
