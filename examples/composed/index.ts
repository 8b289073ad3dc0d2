// (d) nixlab inside a larger program: the components are ordinary Pulumi ComponentResources, so
// they sit beside whatever else the program manages — here a results folder shared into the guest
// and a run id; resources of other providers (a bucket for results, DNS names) compose the same way.
import { mkdirSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { ImagelessGuest, NixosClosure } from "../../components";

const config = new pulumi.Config();
const runId = `${pulumi.getStack()}-${Date.now().toString(36)}`;
const results = `/var/tmp/nixlab-results/${pulumi.getStack()}`;
mkdirSync(results, { recursive: true });

const system = new NixosClosure("blk", {
  source: {
    spec: {
      backend: "imageless",
      hostName: "blk",
      testSuites: ["blktests"],
      sshKeys: [config.require("sshKey")],
      shares: { "/results": { tag: "results" } },
    },
  },
});

const guest = new ImagelessGuest("blk", {
  closure: system,
  kernel: { flake: config.require("nixlabFlake"), attribute: "packages.x86_64-linux.kernel" },
  shares: { results },
  drives: [{ name: "nvme0", size: "8G", bus: "nvme" }],
  pool: config.require("pool"),
});

export const run = { id: runId, results, ssh: guest.sshCommand, console: guest.consoleLog };
