// Drive resource definitions through NixlabProvider as the engine would: check, then
// create/read/diff/update/delete with the checked inputs and the stored outputs.
import { rmSync } from "node:fs";
import * as path from "node:path";
import { type JavaScriptValue, Struct } from "google-protobuf/google/protobuf/struct_pb";
import { NixlabProvider } from "../../provider/plugin";
import { definitions, providerVersion } from "../../provider/registry";

type Props = Record<string, unknown>;

/** What the engine hands back is what went through a protobuf Struct: do the same here. */
const wire = (p: unknown): Props =>
  Struct.fromJavaScript(p as Record<string, JavaScriptValue>).toJavaScript() as Props;

/** The boot copies and console log a Domain made, for afterAll when a test failed before its delete. */
export function removeDomainFiles(outs: Props): void {
  for (const f of (outs.createdFiles as string[] | undefined) ?? [])
    rmSync(path.dirname(f), { recursive: true, force: true });
  if (outs.consoleLogCreated === true && typeof outs.consoleLogPath === "string")
    rmSync(outs.consoleLogPath, { force: true });
}

export const urnOf = (type: string, name: string): string =>
  `urn:pulumi:test::nixlab-libvirt::nixlab:libvirt:${type}::${name}`;

export class Engine {
  readonly provider = new NixlabProvider(providerVersion, definitions);

  async check(urn: string, news: Props) {
    return await this.provider.check(urn, {}, wire(news));
  }

  /** check then create; throws with the failures when Check refuses. */
  async create(urn: string, news: Props): Promise<{ id: string; outs: Props; inputs: Props }> {
    const checked = await this.check(urn, news);
    if (checked.failures && checked.failures.length > 0)
      throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
    const inputs = wire(checked.inputs);
    const r = await this.provider.create(urn, inputs);
    return { id: r.id ?? "", outs: wire(r.outs ?? {}), inputs };
  }

  async read(urn: string, id: string, outs: Props) {
    const r = await this.provider.read(id, urn, wire(outs));
    return { id: r.id ?? "", props: wire(r.props ?? {}) };
  }

  async diff(urn: string, id: string, olds: Props, news: Props) {
    const checked = await this.check(urn, news);
    return await this.provider.diff(id, urn, wire(olds), wire(checked.inputs));
  }

  async update(urn: string, id: string, olds: Props, news: Props): Promise<Props> {
    const checked = await this.check(urn, news);
    const r = await this.provider.update(id, urn, wire(olds), wire(checked.inputs));
    return wire(r.outs ?? {});
  }

  async delete(urn: string, id: string, outs: Props): Promise<void> {
    await this.provider.delete(id, urn, wire(outs));
  }
}
