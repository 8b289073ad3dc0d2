// Entry point of the pulumi-resource-nixlab plugin. The engine starts it with its own address
// as argument and reads the gRPC port from the first line of stdout, so nothing else may print
// to stdout.
import * as provider from "@pulumi/pulumi/provider";
import { connectEngine } from "./engine-log";
import { NixlabProvider } from "./plugin";
import { definitions, providerVersion } from "./registry";

const args = process.argv.slice(2);
// The engine address is the first argument that is not a flag (--tracing takes a value).
const engineAddress = args.find((a, i) => !a.startsWith("-") && args[i - 1] !== "--tracing");
connectEngine(engineAddress);
provider.main(new NixlabProvider(providerVersion, definitions), args).catch((err: unknown) => {
  process.stderr.write(`nixlab provider failed to start: ${String(err)}\n`);
  process.exit(1);
});
