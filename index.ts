// The nixlab program: `pulumi up -s <stack>` builds and boots the test bed that the stack's
// `nixlab:lab` config describes (Pulumi.<stack>.yaml). The config is validated before any
// resource is registered; an invalid one fails naming every offending key.
import * as pulumi from "@pulumi/pulumi";
import { Lab } from "./components/lab";

const config = new pulumi.Config("nixlab");
const lab = new Lab("lab", config.requireObject("lab"), undefined, {
  sshPrivateKey: config.getSecret("sshPrivateKey"),
});

/** Per guest: IP address, SSH command, console log path, closure path; and the suite run's results. */
export const guests = lab.guests;
