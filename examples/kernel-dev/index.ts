// (a) Kernel development: boot an imageless NixOS guest with the kernel you just built.
//   make -j$(nproc) && make modules_install INSTALL_MOD_PATH=$HOME/linux-modules
// then `pulumi up`: the guest boots your bzImage with its modules over virtiofs, and your source
// tree is mounted at /src/linux. Rebuild the kernel and `pulumi up` again to reboot into it.
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ImagelessGuest, NixosClosure } from "../../components";

const config = new pulumi.Config();
const tree = config.get("linuxTree") ?? path.join(os.homedir(), "linux");
const modules = config.get("modulesDir") ?? path.join(os.homedir(), "linux-modules", "lib", "modules");

const system = new NixosClosure("kdev", {
  source: {
    spec: {
      backend: "imageless",
      hostName: "kdev",
      profiles: ["devel", "build-tools"],
      testSuites: ["selftests"],
      sshKeys: [config.require("sshKey")],
      shares: { "/src/linux": { tag: "linux" } },
      kernelParams: ["nokaslr"],
    },
  },
});

const guest = new ImagelessGuest("kdev", {
  closure: system,
  kernel: { bzImage: path.join(tree, "arch", "x86", "boot", "bzImage"), modulesDir: modules },
  shares: { linux: tree },
  vcpus: 4,
  memoryMiB: 8192,
});

export const ssh = guest.sshCommand;
export const consoleLog = guest.consoleLog;
/** The same guest without libvirt: save it and run it with bash. */
export const runScript = guest.runScript;
