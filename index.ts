// The nixlab program: `pulumi up -s <stack>` builds and boots the test bed that the stack's
// `nixlab:lab` config describes (Pulumi.<stack>.yaml). The config is validated, and checked
// against the host, before any resource is registered; an invalid one fails naming every
// offending key. Config errors are pulumi.RunErrors: the engine prints their list of keys and
// messages, no stack trace.
import * as pulumi from "@pulumi/pulumi";
import { Lab } from "./components/lab";
import { labConfigValue } from "./components/lab-config";

// The Node.js language host registers ts-node even though Pulumi.yaml says `typescript: false`:
// the host built here is v3.68 (the newest the Go module proxy serves), which takes that from a
// command-line flag (default on), not from the project. ts-node's source-map support then rewrites
// every frame of every `new Error().stack`, and the SDK takes such a stack for each resource and
// each of its outputs: 0.3 s of a 16-guest lab's no-op up. This program is compiled JavaScript:
// V8's own stack traces are what it needs.
Reflect.deleteProperty(Error, "prepareStackTrace");

export = async () => {
  const config = new pulumi.Config("nixlab");
  const lab = await Lab.create("lab", labConfigValue(config.get("lab")), undefined, {
    sshPrivateKey: config.getSecret("sshPrivateKey"),
    // The private keys of the lab's ssh hosts, by host name: `pulumi config set --secret --path nixlab:hostKeys.<host>`.
    hostKeys: config.getSecretObject<Record<string, string>>("hostKeys"),
  });
  /** Per guest: IP address, SSH command, console log path, closure path, host; and the suite run's results. */
  return { guests: lab.guests };
};
