// nixlab:nix:Build against the real nix, driven through the provider as the engine would.
import { existsSync, readlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { generatedMarker } from "../../provider/nix/generated";
import { autoRootsInto } from "../faults/leaks";
import { nixEnv } from "../support/env";
import { prepareFixtureFlake } from "../support/nix-fixture";
import { nixCalls, testProvider, urnOf } from "../support/provider-harness";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const urn = (name: string) => urnOf("nixlab:nix:Build", name);
type State = Record<string, unknown> & {
  drvPath: string;
  outPath: string;
  outputs: Record<string, string>;
  gcRoots: Record<string, string>;
  closureSize: number;
  narHash: string;
};

describe("nixlab:nix:Build", () => {
  let work: string;
  let flake: string;
  let gcRootDir: string;
  beforeAll(() => {
    work = makeWorkDir("nix-build");
    flake = prepareFixtureFlake("nix-builds", work);
    gcRootDir = path.join(work, "gcroots");
  });
  afterAll(() => removeWorkDir(work));

  const inputs = (attribute: string) => ({
    flake: `path:${flake}`,
    attribute: `packages.x86_64-linux.${attribute}`,
    gcRootDir,
  });

  test("build, no-op, change → update, GC roots, refresh after deletion, delete", async () => {
    const { provider, calls } = testProvider();
    const checked = await provider.check(urn("item"), {}, inputs("item1"));
    expect(checked.failures ?? []).toEqual([]);

    const created = await provider.create(urn("item"), checked.inputs);
    const state = created.outs as State;
    expect(state.drvPath).toMatch(/^\/nix\/store\/[a-z0-9]{32}-nixlab-item-1\.drv$/);
    expect(state.outPath).toMatch(/^\/nix\/store\/[a-z0-9]{32}-nixlab-item-1$/);
    expect(state.outputs).toEqual({ out: state.outPath });
    expect(state.closureSize).toBeGreaterThan(0);
    expect(state.narHash).toMatch(/^sha256-/);
    // The GC root is an indirect root pointing at the output.
    const root = state.gcRoots.out ?? "";
    expect(path.dirname(root)).toBe(gcRootDir);
    expect(readlinkSync(root)).toBe(state.outPath);
    expect(nixCalls(calls, "build")).toHaveLength(1);

    // Unchanged: diff evaluates the derivation path only, and reports no change.
    calls.length = 0;
    const same = await provider.diff(created.id, urn("item"), state, checked.inputs);
    expect(same.changes).toBe(false);
    expect(nixCalls(calls, "eval")).toHaveLength(1);
    expect(nixCalls(calls, "build")).toHaveLength(0);

    // A change inside the flake (not in the resource's inputs) changes the derivation.
    writeFileSync(path.join(flake, "message.txt"), "second message\n");
    const changed = await provider.diff(created.id, urn("item"), state, checked.inputs);
    expect(changed.changes).toBe(true);
    expect(changed.replaces ?? []).toEqual([]);
    const updated = (await provider.update(created.id, urn("item"), state, checked.inputs)).outs as State;
    expect(updated.drvPath).not.toBe(state.drvPath);
    expect(updated.outPath).not.toBe(state.outPath);
    expect(readlinkSync(root)).toBe(updated.outPath);

    // Refresh: present, then gone after the output is deleted behind our back.
    const read = await provider.read(created.id, urn("item"), updated);
    expect(read.id).toBe(created.id);
    expect((read.props as State).outPath).toBe(updated.outPath);
    await provider.delete(created.id, urn("item"), updated);
    expect(existsSync(root)).toBe(false);
    await execa("nix", ["store", "delete", updated.outPath], { env: nixEnv() });
    const gone = await provider.read(created.id, urn("item"), updated);
    expect(gone.id).toBe("");
  });

  test("an output per GC root for multi-output derivations", async () => {
    const { provider } = testProvider();
    const { inputs: i } = await provider.check(urn("split"), {}, { ...inputs("split"), outputNames: ["*"] });
    const created = await provider.create(urn("split"), i);
    const s = created.outs as State;
    expect(Object.keys(s.outputs).sort()).toEqual(["doc", "out"]);
    expect(readlinkSync(s.gcRoots.out ?? "")).toBe(s.outputs.out);
    expect(readlinkSync(s.gcRoots.doc ?? "")).toBe(s.outputs.doc);
    expect(s.gcRoots.doc).toBe(`${s.gcRoots.out}-doc`);
    await provider.delete(created.id, urn("split"), s);
    expect(existsSync(s.gcRoots.out ?? "")).toBe(false);
    expect(existsSync(s.gcRoots.doc ?? "")).toBe(false);
  });

  test("a failing build names the derivation, shows its last log lines and creates nothing", async () => {
    const { provider } = testProvider();
    const { inputs: i } = await provider.check(urn("broken"), {}, inputs("broken"));
    const err = await provider.create(urn("broken"), i).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/nix build of path:.*#packages\.x86_64-linux\.broken failed/);
    expect(err?.message).toMatch(
      /builder for '\/nix\/store\/[a-z0-9]{32}-nixlab-broken\.drv' failed with exit code 3/,
    );
    expect(err?.message).toMatch(/> compiling step two\n> cc: fatal error: no such file/);
    const leftovers = (await import("node:fs")).readdirSync(gcRootDir).filter((f) => f.startsWith("broken"));
    expect(leftovers).toEqual([]);
  });

  test("bad inputs fail in check, naming the property", async () => {
    const { provider, calls } = testProvider();
    const r = await provider.check(urn("bad"), {}, { flake: "./relative", attribute: "x y" });
    expect(r.failures).toEqual([
      { property: "flake", reason: "must be absolute: a flake reference or an absolute path" },
      { property: "attribute", reason: "must be an attribute path such as packages.x86_64-linux.default" },
    ]);
    expect(calls).toHaveLength(0);
  });
  test("a flake nixlab generated goes with the Build that built it; a user's flake stays", async () => {
    const { provider } = testProvider();
    const generated = prepareFixtureFlake("nix-builds", path.join(work, "generated"));
    writeFileSync(path.join(generated, generatedMarker), "generated by nixlab\n");
    const news = { flake: `path:${generated}`, attribute: "packages.x86_64-linux.item1", gcRootDir };
    const g = await provider.check(urn("gen"), {}, news);
    const created = await provider.create(urn("gen"), g.inputs);
    const user = await provider.check(urn("user"), {}, inputs("item1"));
    const mine = await provider.create(urn("user"), user.inputs);
    await provider.delete(created.id, urn("gen"), created.outs);
    await provider.delete(mine.id, urn("user"), mine.outs);
    expect(existsSync(generated)).toBe(false);
    expect(existsSync(flake)).toBe(true);
    // nix's own registrations of the removed roots went with them.
    expect(autoRootsInto(gcRootDir)).toEqual([]);
  });
});
