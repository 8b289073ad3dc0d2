// The engine floor of the scale benchmark: a provider plugin whose one resource type,
// benchfloor:index:Noop, checks, diffs, creates and deletes without doing anything. A program of
// these with the shape of a lab (bench/scale/floor/program.ts) costs what the engine, the language
// host and a Node.js provider cost by themselves.
import * as provider from "@pulumi/pulumi/provider";

type Props = Record<string, unknown>;
let next = 0;

const noop: provider.Provider = {
  version: "0.0.1",
  async check(_urn: string, _olds: Props, news: Props) {
    return { inputs: news };
  },
  async diff() {
    return { changes: false };
  },
  async create(_urn: string, inputs: Props) {
    next += 1;
    return { id: `noop-${process.pid}-${next}`, outs: { ...inputs, out: `/nix/store/noop-${next}` } };
  },
  async read(id: string, _urn: string, props?: Props) {
    return { id, props: props ?? {} };
  },
  async update(_id: string, _urn: string, _olds: Props, news: Props) {
    return { outs: news };
  },
  async delete() {},
};

provider.main(noop, process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`benchfloor provider failed: ${String(err)}\n`);
  process.exit(1);
});
