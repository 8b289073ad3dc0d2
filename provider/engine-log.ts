// Messages from the provider to the engine's log for one resource, shown by `pulumi up` beside
// that resource (ephemeral ones as its live status). The SDK's own log module needs a resource
// object; a provider only has the URN, so it talks to the Engine service directly.
import * as grpc from "@grpc/grpc-js";
import { EngineClient } from "@pulumi/pulumi/proto/engine_grpc_pb";
import { LogRequest, LogSeverity } from "@pulumi/pulumi/proto/engine_pb";

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  /** A transient status line (progress) that the engine does not keep. */
  status(msg: string): void;
}

let client: EngineClient | undefined;

export function connectEngine(address: string | undefined): void {
  if (address && !client) client = new EngineClient(address, grpc.credentials.createInsecure());
}

function send(severity: LogSeverity, urn: string, message: string, ephemeral: boolean): void {
  if (!client) {
    process.stderr.write(`${message}\n`);
    return;
  }
  const req = new LogRequest();
  req.setSeverity(severity);
  req.setMessage(message);
  req.setUrn(urn);
  req.setEphemeral(ephemeral);
  // Logging must never fail the operation it reports on.
  client.log(req, () => undefined);
}

export function engineLogger(urn: string): Logger {
  return {
    debug: (m) => send(LogSeverity.DEBUG, urn, m, false),
    info: (m) => send(LogSeverity.INFO, urn, m, false),
    warn: (m) => send(LogSeverity.WARNING, urn, m, false),
    status: (m) => send(LogSeverity.INFO, urn, m, true),
  };
}
