// Drive resource definitions through NixlabProvider as the engine would: check, then
// create/read/diff/update/delete with the checked inputs and the stored outputs.
import { NixlabProvider } from "../../provider/plugin";
import { definitions, providerVersion } from "../../provider/registry";

type Props = Record<string, unknown>;

export const urnOf = (type: string, name: string): string =>
  `urn:pulumi:test::nixlab-libvirt::nixlab:libvirt:${type}::${name}`;

export class Engine {
  readonly provider = new NixlabProvider(providerVersion, definitions);

  async check(urn: string, news: Props) {
    return await this.provider.check(urn, {}, news);
  }

  /** check then create; throws with the failures when Check refuses. */
  async create(urn: string, news: Props): Promise<{ id: string; outs: Props; inputs: Props }> {
    const checked = await this.check(urn, news);
    if (checked.failures && checked.failures.length > 0)
      throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
    const inputs = checked.inputs as Props;
    const r = await this.provider.create(urn, inputs);
    return { id: r.id ?? "", outs: (r.outs ?? {}) as Props, inputs };
  }

  async read(urn: string, id: string, outs: Props) {
    const r = await this.provider.read(id, urn, outs);
    return { id: r.id ?? "", props: (r.props ?? {}) as Props };
  }

  async diff(urn: string, id: string, olds: Props, news: Props) {
    const checked = await this.check(urn, news);
    return await this.provider.diff(id, urn, olds, checked.inputs as Props);
  }

  async update(urn: string, id: string, olds: Props, news: Props): Promise<Props> {
    const checked = await this.check(urn, news);
    const r = await this.provider.update(id, urn, olds, checked.inputs as Props);
    return (r.outs ?? {}) as Props;
  }

  async delete(urn: string, id: string, outs: Props): Promise<void> {
    await this.provider.delete(id, urn, outs);
  }
}
