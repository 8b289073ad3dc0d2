// nixlab:nix:AddPath against the real nix: a folder added to the store with a GC root; a changed
// source is added again (drift by file list, sizes and times); delete removes the root.
import { existsSync, mkdirSync, readlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { testProvider, urnOf } from "../support/provider-harness";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const urn = urnOf("nixlab:nix:AddPath", "modules");

describe("nixlab:nix:AddPath", () => {
  let work: string;
  beforeAll(() => {
    work = makeWorkDir("add-path");
  });
  afterAll(() => removeWorkDir(work));

  test("add, no-op diff, drift after a change, delete", async () => {
    const { provider } = testProvider();
    const src = path.join(work, "modules");
    mkdirSync(path.join(src, "6.1.0"), { recursive: true });
    writeFileSync(path.join(src, "6.1.0", "a.ko"), `module ${process.pid}\n`);
    const news = { path: src, name: "nixlab-kernel-modules", gcRootDir: path.join(work, "roots") };
    const { inputs, failures } = await provider.check(urn, {}, news);
    expect(failures ?? []).toEqual([]);
    const created = await provider.create(urn, inputs);
    const outs = created.outs as { storePath: string; gcRoot: string; fingerprint: string };
    expect(outs.storePath).toMatch(/^\/nix\/store\/[a-z0-9]{32}-nixlab-kernel-modules$/);
    expect(existsSync(path.join(outs.storePath, "6.1.0", "a.ko"))).toBe(true);
    expect(readlinkSync(outs.gcRoot)).toBe(outs.storePath);
    expect(outs.fingerprint).toMatch(/^3 files, \d+ bytes, newest \d+$/);

    expect((await provider.diff(created.id ?? "", urn, created.outs ?? {}, inputs)).changes).toBe(false);
    writeFileSync(path.join(src, "6.1.0", "b.ko"), "another module\n");
    expect((await provider.diff(created.id ?? "", urn, created.outs ?? {}, inputs)).changes).toBe(true);
    const updated = await provider.update(created.id ?? "", urn, created.outs ?? {}, inputs);
    const now = updated.outs as { storePath: string; gcRoot: string };
    expect(now.storePath).not.toBe(outs.storePath);
    expect(existsSync(path.join(now.storePath, "6.1.0", "b.ko"))).toBe(true);

    await provider.delete(created.id ?? "", urn, updated.outs ?? {});
    expect(existsSync(now.gcRoot)).toBe(false);
  });

  test("a source that does not exist fails in check, naming it", async () => {
    const { provider } = testProvider();
    const r = await provider.check(urn, {}, { path: path.join(work, "absent") });
    expect(r.failures).toEqual([
      { property: "path", reason: `no such file or folder: ${path.join(work, "absent")}` },
    ]);
  });
});
