// Entry point of the pulumi-resource-nixlab plugin. The engine starts it with its own address
// as argument and reads the gRPC port from the first line of stdout, so nothing else may print
// to stdout.
import * as provider from "@pulumi/pulumi/provider";
import { answerDiffsInDetail } from "./detailed-diff";
import { connectEngine } from "./engine-log";
import { sweepSshMaterial } from "./host/ssh";
import { NixlabProvider } from "./plugin";
import { definitions, providerVersion } from "./registry";

const args = process.argv.slice(2);
// The engine address is the first argument that is not a flag (--tracing takes a value).
const engineAddress = args.find((a, i) => !a.startsWith("-") && args[i - 1] !== "--tracing");
connectEngine(engineAddress);
// Key folders of earlier provider processes that were killed mid-operation.
sweepSshMaterial();
// The engine starts the plugin and stops it when done; an engine that is killed (SIGKILL of
// `pulumi up`) cannot, and the plugin would run on orphaned. Re-parenting tells us.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) {
    process.stderr.write("nixlab provider: the engine has gone; exiting\n");
    process.exit(1);
  }
}, 1000).unref();
const nixlab = new NixlabProvider(providerVersion, definitions);
answerDiffsInDetail(nixlab);
provider.main(nixlab, args).catch((err: unknown) => {
  process.stderr.write(`nixlab provider failed to start: ${String(err)}\n`);
  process.exit(1);
});
