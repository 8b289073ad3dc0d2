// Pure logic of the nix resources: command lines, nix's two path-info shapes, progress parsing.

import { buildInputs } from "../../provider/nix/build";
import {
  buildArgs,
  evalDrvPathArgs,
  outLinks,
  parseBuildJson,
  pathInfoArgs,
} from "../../provider/nix/commands";
import { parsePathInfo } from "../../provider/nix/path-info";
import { BuildProgress, drvName, stripAnsi } from "../../provider/nix/progress";
import { storePathHash, storePathPattern } from "../../provider/nix/store-path";
import { zodFailures } from "../../provider/resource";

const target = {
  flake: "path:/srv/lab",
  attribute: "nixosConfigurations.vm.config.system.build.toplevel",
  overrideInputs: { nixpkgs: "path:/srv/nixpkgs", "a/b": "github:o/r" },
  extraArgs: ["--option", "cores", "2"],
  system: "aarch64-linux",
};

describe("nix command lines", () => {
  test("evaluating the derivation path builds nothing and keeps overrides and options", () => {
    expect(evalDrvPathArgs(target)).toEqual([
      "eval",
      "--raw",
      "--override-input",
      "a/b",
      "github:o/r",
      "--override-input",
      "nixpkgs",
      "path:/srv/nixpkgs",
      "--system",
      "aarch64-linux",
      "--option",
      "cores",
      "2",
      "path:/srv/lab#nixosConfigurations.vm.config.system.build.toplevel.drvPath",
    ]);
  });

  test("the build asks for JSON, machine-readable progress and a GC root", () => {
    const args = buildArgs(
      { ...target, overrideInputs: {}, extraArgs: [], system: undefined },
      "/state/gcroots/vm-1",
    );
    expect(args).toEqual([
      "build",
      "--json",
      "--log-format",
      "internal-json",
      "--out-link",
      "/state/gcroots/vm-1",
      "path:/srv/lab#nixosConfigurations.vm.config.system.build.toplevel",
    ]);
  });

  test("path-info and out-link naming", () => {
    expect(pathInfoArgs(["/nix/store/x"], { closureSize: true, store: "ssh-ng://h" })).toEqual([
      "path-info",
      "--json",
      "--closure-size",
      "--store",
      "ssh-ng://h",
      "/nix/store/x",
    ]);
    expect(outLinks("/r/b", ["out", "doc", "dev"])).toEqual({
      out: "/r/b",
      doc: "/r/b-doc",
      dev: "/r/b-dev",
    });
    expect(outLinks("/r/b", ["bin"])).toEqual({ bin: "/r/b-bin" });
  });

  test("nix build --json output", () => {
    const r = parseBuildJson(
      '[{"drvPath":"/nix/store/a.drv","outputs":{"out":"/nix/store/b"},"startTime":0}]',
    );
    expect(r).toEqual({ drvPath: "/nix/store/a.drv", outputs: { out: "/nix/store/b" } });
    expect(() => parseBuildJson("[]")).toThrow(/unexpected nix build --json output/);
  });
});

describe("nix path-info --json, both shapes", () => {
  const p = "/nix/store/cf8ckf84zi5d8biybxbhv4bkd81q757h-nixlab-smoke";
  test("Nix >= 2.19: an object keyed by path, null when invalid", () => {
    const json = JSON.stringify({
      [p]: { narHash: "sha256-iXb=", narSize: 312, closureSize: 400, references: [] },
      "/nix/store/00000000000000000000000000000000-gone": null,
    });
    expect(parsePathInfo(json)).toEqual([
      { path: p, valid: true, narHash: "sha256-iXb=", narSize: 312, closureSize: 400, references: [] },
      { path: "/nix/store/00000000000000000000000000000000-gone", valid: false },
    ]);
  });
  test("Nix < 2.19: an array of objects with a path field, valid:false when invalid", () => {
    const json = JSON.stringify([
      { path: p, narHash: "sha256:1abc", narSize: 312, closureSize: 400, references: ["/nix/store/x"] },
      { path: "/nix/store/00000000000000000000000000000000-gone", valid: false },
    ]);
    expect(parsePathInfo(json)).toEqual([
      {
        path: p,
        valid: true,
        narHash: "sha256:1abc",
        narSize: 312,
        closureSize: 400,
        references: ["/nix/store/x"],
      },
      { path: "/nix/store/00000000000000000000000000000000-gone", valid: false },
    ]);
  });
  test("anything else is an error", () => {
    expect(() => parsePathInfo("42")).toThrow(/unexpected nix path-info output/);
  });
});

describe("internal-json progress", () => {
  const drv = "/nix/store/8m821ask6w5fkk8gpjmibzmlkbb05fyg-bad-one.drv";
  const lines = [
    '@nix {"action":"start","id":2,"level":0,"parent":0,"text":"","type":104}',
    '@nix {"action":"result","fields":[0,2,0,0],"id":2,"type":105}',
    `@nix {"action":"start","fields":["${drv}","",1,1],"id":7,"level":3,"parent":0,"text":"building","type":105}`,
    '@nix {"action":"result","fields":["line1"],"id":7,"type":101}',
    '@nix {"action":"result","fields":["line2"],"id":7,"type":101}',
    '@nix {"action":"result","fields":[1,2,1,0],"id":2,"type":105}',
    '@nix {"action":"stop","id":7}',
    `@nix {"action":"msg","level":0,"msg":"\\u001b[31;1merror:\\u001b[0m builder for '\\u001b[35;1m${drv}\\u001b[0m' failed with exit code 3"}`,
    "a plain line",
  ];

  test("turns nix's activity stream into building/progress/error events and keeps log tails", () => {
    const p = new BuildProgress(3);
    const events = lines.map((l) => p.feed(l)).filter((e) => e !== undefined);
    expect(events).toEqual([
      { kind: "progress", done: 0, expected: 2, running: 0, failed: 0 },
      { kind: "building", drvPath: drv },
      { kind: "progress", done: 1, expected: 2, running: 1, failed: 0 },
      { kind: "built", drvPath: drv },
      { kind: "error", message: `builder for '${drv}' failed with exit code 3` },
    ]);
    expect(p.logTail(drv)).toEqual(["line1", "line2"]);
    expect(p.failedDerivations()).toEqual([drv]);
    expect(p.report()).toBe(
      `builder for '${drv}' failed with exit code 3\nlast 2 log lines of ${drv}:\n> line1\n> line2`,
    );
  });

  test("keeps only the last lines of a long log", () => {
    const p = new BuildProgress(2);
    p.feed(lines[2] ?? "");
    for (const n of [1, 2, 3]) p.feed(`@nix {"action":"result","fields":["l${n}"],"id":7,"type":101}`);
    expect(p.logTail(drv)).toEqual(["l2", "l3"]);
  });

  test("names and colours", () => {
    expect(drvName(drv)).toBe("bad-one");
    expect(stripAnsi("\u001b[31;1merror:\u001b[0m x")).toBe("error: x");
  });
});

describe("store paths and Build inputs", () => {
  test("store path syntax", () => {
    expect(storePathPattern.test("/nix/store/cf8ckf84zi5d8biybxbhv4bkd81q757h-nixlab-smoke")).toBe(true);
    expect(storePathPattern.test("/nix/store/cf8ckf84zi5d8biybxbhv4bkd81q757h")).toBe(false);
    expect(storePathPattern.test("/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x")).toBe(false); // no 'e' in nix base32
    expect(storePathHash("/nix/store/cf8ckf84zi5d8biybxbhv4bkd81q757h-nixlab-smoke")).toBe(
      "cf8ckf84zi5d8biybxbhv4bkd81q757h",
    );
  });

  test.each([
    [{ flake: "", attribute: "a" }, "flake", "must name a flake"],
    [{ flake: "./lab", attribute: "a" }, "flake", "must be absolute: a flake reference or an absolute path"],
    [
      { flake: "path:/x", attribute: "a..b" },
      "attribute",
      "must be an attribute path such as packages.x86_64-linux.default",
    ],
    [
      { flake: "path:/x", attribute: "a", system: "linux" },
      "system",
      "must be a Nix system such as x86_64-linux",
    ],
    [{ flake: "path:/x", attribute: "a", gcRootDir: "rel" }, "gcRootDir", "must be an absolute path"],
    [
      { flake: "path:/x", attribute: "a", extraArgs: [1] },
      "extraArgs[0]",
      "Invalid input: expected string, received number",
    ],
  ])("rejects %j at %s", (input, property, reason) => {
    const r = buildInputs.safeParse(input);
    expect(r.success).toBe(false);
    if (!r.success) expect(zodFailures(r.error)).toEqual([{ property, reason }]);
  });
});
