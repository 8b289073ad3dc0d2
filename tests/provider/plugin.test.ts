// The provider's protocol layer: secrets in and out, preview unknowns, validation in Check,
// key-order-insensitive diffs. A tiny resource definition with a recording fake runner.
import * as z from "zod";
import type { Runner } from "../../provider/exec";
import { NixlabProvider } from "../../provider/plugin";
import { type ResourceDefinition, same } from "../../provider/resource";
import { declaredDiff, declareResource } from "../../provider/schema/declare";
import { isSecret, secret, unwrapSecrets } from "../../provider/secrets";

const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"; // the engine's preview placeholder

type Inputs = { name: string; password?: string | undefined; tags: Record<string, string> };
type State = Inputs & { createdWith: string };

const calls: string[] = [];
const fake: Runner = async (cmd, args) => {
  calls.push([cmd, ...args].join(" "));
  return { exitCode: 0, stdout: "", stderr: "" };
};

const thingDeclaration = declareResource({
  token: "nixlab:test:Thing",
  description: "A thing.",
  inputs: z.object({
    name: z
      .string()
      .regex(/^[a-z]+$/, "must be lower-case")
      .meta({ description: "Its name.", replaceOnChanges: true }),
    password: z.string().optional().meta({ description: "Its password.", secret: true }),
    tags: z.record(z.string(), z.string()).default({}).meta({ description: "Its tags." }),
  }),
  outputs: z.object({ createdWith: z.string().meta({ description: "The password it was made with." }) }),
});

const thing: ResourceDefinition<Inputs, State> = {
  declaration: thingDeclaration,
  async preflight(ctx, news) {
    await ctx.run("probe", [news.name]);
    return news.name === "taken" ? [{ property: "name", reason: "already exists" }] : [];
  },
  diff: async (_ctx, _id, olds, news) => declaredDiff(thingDeclaration, olds, news),
  create: async (_ctx, news) => ({ id: news.name, state: { ...news, createdWith: news.password ?? "" } }),
  read: async (_ctx, id, state) => (id === "gone" ? null : { id, state }),
  update: async (_ctx, _id, olds, news) => ({ ...olds, ...news }),
  delete: async () => {},
};

const urn = "urn:pulumi:s::p::nixlab:test:Thing::t";
const provider = new NixlabProvider("1.2.3", [thing], fake);

describe("NixlabProvider", () => {
  beforeEach(() => {
    calls.length = 0;
  });

  test("check validates with property paths and runs preflight only on valid input", async () => {
    expect((await provider.check(urn, {}, { name: "Bad" })).failures).toEqual([
      { property: "name", reason: "must be lower-case" },
    ]);
    expect(calls).toEqual([]);
    expect((await provider.check(urn, {}, { name: "taken" })).failures).toEqual([
      { property: "name", reason: "already exists" },
    ]);
    expect(calls).toEqual(["probe taken"]);
    calls.length = 0;
    // Preview: the name is not known yet: no schema failure for it; the preflight sees the placeholder.
    expect((await provider.check(urn, {}, { name: unknownValue })).failures ?? []).toEqual([]);
  });

  test("secret inputs stay secret in inputs and state, also when passed plainly", async () => {
    const checked = await provider.check(
      urn,
      {},
      { name: "a", password: "hunter2", tags: { x: secret("y") } },
    );
    expect(isSecret((checked.inputs as Record<string, unknown>).password)).toBe(true);
    expect(isSecret((checked.inputs as Record<string, unknown>).tags)).toBe(true);
    const created = await provider.create(urn, checked.inputs);
    const outs = created.outs as Record<string, unknown>;
    expect(isSecret(outs.password)).toBe(true);
    expect(isSecret(outs.name)).toBe(false);
    expect(unwrapSecrets(outs).plain).toMatchObject({
      name: "a",
      password: "hunter2",
      createdWith: "hunter2",
    });
  });

  test("diffs ignore key order; unknowns in replace keys replace; read of a gone resource has no id", async () => {
    const olds = { name: "a", tags: { b: "2", a: "1" }, createdWith: "" };
    expect(await provider.diff("a", urn, olds, { name: "a", tags: { a: "1", b: "2" } })).toEqual({
      changes: false,
      replaces: [],
      diffs: [],
      detailedDiff: {},
      deleteBeforeReplace: false,
    });
    expect((await provider.diff("a", urn, olds, { name: unknownValue, tags: {} })).replaces).toEqual([
      "name",
    ]);
    expect((await provider.read("gone", urn, olds)).id).toBe("");
    expect(same({ a: [1, { c: 1, b: 2 }] }, { a: [1, { b: 2, c: 1 }] })).toBe(true);
    expect(same([1, 2], [2, 1])).toBe(false);
  });

  test("an unknown type token is an error", async () => {
    await expect(provider.create("urn:pulumi:s::p::nixlab:test:Other::o", {})).rejects.toThrow(
      "nixlab provider: unknown resource type nixlab:test:Other",
    );
  });
});
