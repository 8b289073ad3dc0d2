// One nix evaluator for Builds diffed together (provider/nix/eval-batch.ts), against the real nix:
// the batched evaluation gives the drvPaths that `nix eval FLAKE#ATTR.drvPath` gives one by one
// (full paths, short names found under packages.<system>, quoted segments with `.`, `$` and `\`),
// errors still name the failing closure, diffs side by side start one evaluator, and
// NIXLAB_EVAL_BATCH=1 evaluates each closure on its own.
import { mkdirSync, realpathSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { attrPathSegments, nixString } from "../../provider/nix/commands";
import { batchable, batchLimit, DrvPathBatcher } from "../../provider/nix/eval-batch";
import { buildOut, prepareFixtureFlake } from "../support/nix-fixture";
import { nixCalls, recordingRunner, testProvider, urnOf } from "../support/provider-harness";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const target = (flake: string, attribute: string) => ({
  flake: `path:${flake}`,
  attribute,
  overrideInputs: {},
  extraArgs: [] as string[],
});

describe("attribute paths and Nix strings (pure)", () => {
  test("segments split at dots; quoted segments are literal", () => {
    expect(attrPathSegments("packages.x86_64-linux.item0")).toEqual(["packages", "x86_64-linux", "item0"]);
    expect(attrPathSegments('nixosConfigurations."vm.a".config')).toEqual([
      "nixosConfigurations",
      "vm.a",
      "config",
    ]);
    expect(attrPathSegments(`a."\${b}\\c"`)).toEqual(["a", `\${b}\\c`]);
  });

  test("a Nix string literal never interpolates", () => {
    expect(nixString(`a"b\${c}\\d`)).toBe(`"a\\"b\\\${c}\\\\d"`);
  });

  test("attributes nix reads with escapes (%, ^, braces) are evaluated alone", () => {
    expect(batchable('nixosConfigurations."vm.a".config.system.build.toplevel')).toBe(true);
    expect(batchable('lib."a%24b"')).toBe(false);
    expect(batchable(`lib."a\${b}"`)).toBe(false);
  });

  test("NIXLAB_EVAL_BATCH: a positive integer, or a clear error naming it", () => {
    expect(batchLimit({})).toBe(32);
    expect(batchLimit({ NIXLAB_EVAL_BATCH: "1" })).toBe(1);
    expect(() => batchLimit({ NIXLAB_EVAL_BATCH: "zero" })).toThrow(
      /NIXLAB_EVAL_BATCH must be a positive integer/,
    );
  });
});

describe("batched evaluation with the real nix", () => {
  let work: string;
  let flake: string;
  let odd: string;

  beforeAll(() => {
    work = makeWorkDir("nix-eval-batch");
    flake = prepareFixtureFlake("nix-builds", work);
    // Attribute names that need quoting on the command line.
    odd = path.join(work, "odd");
    mkdirSync(odd);
    writeFileSync(
      path.join(odd, "flake.nix"),
      [
        "{",
        "  outputs = _: let",
        `    d = n: derivation { name = "odd-\${n}"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "exit 1" ]; };`,
        "  in {",
        '    lib.systems."vm.one" = d "one";',
        '    lib.systems."sp ace" = d "space";',
        '    lib.systems."a$b" = d "dollar";',
        '    packages.x86_64-linux.short = d "short";',
        "  };",
        "}",
        "",
      ].join("\n"),
    );
  });
  afterAll(() => removeWorkDir(work));

  test("the same drvPaths as one evaluator per closure", async () => {
    const { run, calls } = recordingRunner();
    const batcher = new DrvPathBatcher(run);
    const cases = [
      target(flake, "packages.x86_64-linux.item0"),
      target(flake, "packages.x86_64-linux.item7"),
      target(flake, "item3"),
      target(flake, "packages.x86_64-linux.split"),
      target(odd, 'lib.systems."vm.one"'),
      target(odd, 'lib.systems."sp ace"'),
      target(odd, 'lib.systems."a$b"'),
      target(odd, "short"),
    ];
    const alone = await Promise.all(cases.map((c) => batcher.evalOne(c)));
    expect(new Set(alone).size).toBe(cases.length);
    calls.length = 0;
    const together = await Promise.all(cases.map((c) => batcher.drvPath(c)));
    expect(together).toEqual(alone);
    // Two flakes: two evaluators (and one look at nix's system), not eight.
    expect(nixCalls(calls, "eval").filter((c) => c.args.includes("--apply"))).toHaveLength(2);
    expect(nixCalls(calls, "eval")).toHaveLength(3);
  });

  test("creates: the derivation and the outputs that nix build FLAKE#ATTR builds by default", async () => {
    const outs = path.join(work, "outs");
    mkdirSync(outs, { recursive: true });
    writeFileSync(
      path.join(outs, "flake.nix"),
      [
        "{",
        "  outputs = _: let",
        "    d = extra: derivation ({",
        '      name = "outs"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "exit 1" ];',
        '      outputs = [ "out" "doc" "dev" ];',
        "    } // extra);",
        "  in {",
        "    packages.x86_64-linux = {",
        "      plain = d { };",
        '      meta = (d { tag = "meta"; }) // { meta.outputsToInstall = [ "doc" "dev" ]; };',
        '      specified = (d { tag = "spec"; }) // { outputSpecified = true; outputName = "dev"; };',
        '      unspecified = (d { tag = "unspec"; }) // { outputSpecified = false; meta.outputsToInstall = [ "doc" ]; };',
        "    };",
        "  };",
        "}",
        "",
      ].join("\n"),
    );
    const { run } = recordingRunner();
    const batcher = new DrvPathBatcher(run);
    const names = ["plain", "meta", "specified", "unspecified"];
    const planned = await Promise.all(
      names.map((n) => batcher.buildTarget(target(outs, `packages.x86_64-linux.${n}`))),
    );
    // Alone, a create builds its installable: nothing to evaluate first.
    const { run: counted, calls } = recordingRunner();
    await expect(
      new DrvPathBatcher(counted).buildTarget(target(outs, "packages.x86_64-linux.plain")),
    ).rejects.toThrow();
    expect(calls).toEqual([]);
    for (const [i, n] of names.entries()) {
      const dry = await run("nix", [
        "build",
        "--dry-run",
        "--json",
        `path:${outs}#packages.x86_64-linux.${n}`,
      ]);
      const [expected] = JSON.parse(dry.stdout) as { drvPath: string; outputs: Record<string, string> }[];
      expect(planned[i]).toEqual({
        drvPath: expected?.drvPath,
        outputs: Object.keys(expected?.outputs ?? {}).sort(),
      });
    }
    expect(planned.map((p) => p.outputs)).toEqual([["out"], ["dev", "doc"], ["dev"], ["out"]]);
  });

  test("an error names the failing closure; the others still evaluate", async () => {
    const { run, calls } = recordingRunner();
    const batcher = new DrvPathBatcher(run);
    const results = await Promise.allSettled([
      batcher.drvPath(target(flake, "packages.x86_64-linux.item1")),
      batcher.drvPath(target(flake, "packages.x86_64-linux.nosuch")),
      batcher.drvPath(target(flake, "packages.x86_64-linux.item2")),
    ]);
    expect(results[0]).toMatchObject({
      status: "fulfilled",
      value: expect.stringMatching(/nixlab-item-1\.drv$/),
    });
    expect(results[2]).toMatchObject({
      status: "fulfilled",
      value: expect.stringMatching(/nixlab-item-2\.drv$/),
    });
    expect(results[1]).toMatchObject({ status: "rejected" });
    const err = (results[1] as PromiseRejectedResult).reason as Error;
    expect(err.message).toContain(`evaluating path:${flake}#packages.x86_64-linux.nosuch failed`);
    expect(err.message).toMatch(/does not provide attribute/);
    // The batch failed as a whole, then each closure was evaluated alone.
    expect(nixCalls(calls, "eval").filter((c) => c.args.includes("--apply"))).toHaveLength(1);
  });

  test("Builds created side by side: one evaluator, then each derivation built with its GC root", async () => {
    const { provider, calls } = testProvider();
    const gcRootDir = path.join(work, "gcroots");
    const items = [0, 1, 2, "split"].map((i) => (typeof i === "number" ? `item${i}` : i));
    const made = await Promise.all(
      items.map(async (name) => {
        const urn = urnOf("nixlab:nix:Build", `created-${name}`);
        const checked = await provider.check(
          urn,
          {},
          { ...target(flake, `packages.x86_64-linux.${name}`), gcRootDir },
        );
        const r = await provider.create(urn, checked.inputs);
        return { urn, id: r.id ?? "", outs: r.outs as Record<string, unknown> };
      }),
    );
    expect(nixCalls(calls, "eval")).toHaveLength(2); // nix's system, then the batch
    expect(nixCalls(calls, "build").map((c) => c.args.at(-1))).toEqual(
      made.map((m) => `${m.outs.drvPath}^out`),
    );
    for (const [i, m] of made.entries()) {
      expect(m.outs.outPath).toBe(await buildOut(`path:${flake}#packages.x86_64-linux.${items[i]}`));
      expect(Object.keys(m.outs.outputs as object)).toEqual(["out"]);
      const root = (m.outs.gcRoots as Record<string, string>).out ?? "";
      expect(realpathSync(root)).toBe(m.outs.outPath);
    }
    for (const m of made) await provider.delete(m.id, m.urn, m.outs);
  });

  test("Build diffs side by side start one evaluator; NIXLAB_EVAL_BATCH=1 one per closure", async () => {
    const diffAll = async () => {
      const { provider, calls } = testProvider();
      const ids = [0, 1, 2, 3, 4, 5];
      const olds = ids.map((i) => ({
        ...target(flake, `packages.x86_64-linux.item${i}`),
        drvPath: "/nix/store/00000000000000000000000000000000-old.drv",
        gcRoots: {},
      }));
      const diffs = await Promise.all(
        ids.map(async (i) => {
          const urn = urnOf("nixlab:nix:Build", `item${i}`);
          const checked = await provider.check(urn, {}, target(flake, `packages.x86_64-linux.item${i}`));
          return await provider.diff(`id${i}`, urn, olds[i] as Record<string, unknown>, checked.inputs);
        }),
      );
      expect(diffs.every((d) => d.changes)).toBe(true);
      return nixCalls(calls, "eval").length;
    };
    expect(await diffAll()).toBe(2);
    process.env.NIXLAB_EVAL_BATCH = "1";
    try {
      expect(await diffAll()).toBe(6);
    } finally {
      delete process.env.NIXLAB_EVAL_BATCH;
    }
  });
});
