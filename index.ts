// The nixlab program: `pulumi up -s <stack>` builds and boots the test bed that the stack's
// `nixlab:lab` config describes (Pulumi.<stack>.yaml). The config is validated before any
// resource is registered; an invalid one fails naming every offending key. Config errors are
// pulumi.RunErrors: the engine prints their list of keys and messages, no stack trace.
import * as pulumi from "@pulumi/pulumi";
import { Lab } from "./components/lab";
import { labConfigValue } from "./components/lab-config";

const lab = new Lab("lab", labConfigValue(new pulumi.Config("nixlab").get("lab")));

/** Per guest: IP address, SSH command, console log path, closure path. */
export const guests = lab.guests;
