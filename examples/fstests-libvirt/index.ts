// (b) fstests on libvirt guests: one NixOS disk image, uploaded once as a base volume, and one
// copy-on-write overlay per section, each with its own test and scratch drives.
import * as pulumi from "@pulumi/pulumi";
import { LibvirtGuest, NixosClosure, Qcow2Image } from "../../components";
import { Pool } from "../../provider/sdk/libvirt";

const config = new pulumi.Config();
const sections = config.getObject<string[]>("sections") ?? ["xfs_crc", "xfs_reflink", "xfs_nocrc_512"];

const pool = new Pool("fstests", { name: "fstests", path: "/var/lib/nixlab/fstests" });
const image = new Qcow2Image("fstests", {
  pool: pool.name,
  closure: new NixosClosure("fstests", {
    source: {
      spec: {
        backend: "libvirt",
        hostName: "fstests",
        profiles: ["devel"],
        testSuites: ["fstests"],
        sshKeys: [config.require("sshKey")],
        diskSize: 20480,
      },
      product: "qcow2",
    },
  }),
});

export const guests = Object.fromEntries(
  sections.map((section) => {
    const name = `fstests-${section.replaceAll("_", "-")}`;
    const guest = new LibvirtGuest(name, {
      image,
      vcpus: 4,
      memoryMiB: 4096,
      drives: [
        { name: "test", size: "20G", serial: "fstests-test" },
        { name: "scratch", size: "20G", serial: "fstests-scratch" },
      ],
    });
    return [section, { ssh: guest.sshCommand, consoleLog: guest.consoleLog }];
  }),
);
