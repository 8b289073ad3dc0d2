// nix/flake.nix: its outputs have the names the issue and the TypeScript side rely on.
// Evaluated by the real nix with the nixpkgs input replaced by a stand-in flake that has
// only lib.genAttrs (nothing that needs nixpkgs itself is evaluated here).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { nixDir, run } from "./nix-eval";

let stubDir: string;

beforeAll(() => {
  stubDir = mkdtempSync(path.join(tmpdir(), "nixlab-stub-nixpkgs-"));
  writeFileSync(
    path.join(stubDir, "flake.nix"),
    `{
      outputs = _: {
        lib.genAttrs = names: f: builtins.listToAttrs (map (name: { inherit name; value = f name; }) names);
      };
    }\n`,
  );
});
afterAll(() => rmSync(stubDir, { recursive: true, force: true }));

async function flakeEval(attr: string, apply: string): Promise<unknown> {
  const result = await run("nix", [
    "eval",
    "--json",
    "--no-write-lock-file",
    "--override-input",
    "nixpkgs",
    `path:${stubDir}`,
    `path:${nixDir}#${attr}`,
    "--apply",
    apply,
  ]);
  if (result.code !== 0) throw new Error(`nix eval ${attr} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

describe("flake outputs", () => {
  test("nixosModules", async () => {
    const got = await flakeEval(
      "nixosModules",
      "m: builtins.mapAttrs (_: v: if builtins.isAttrs v then builtins.attrNames v else builtins.typeOf v) m",
    );
    expect(got).toEqual({
      backends: ["imageless", "libvirt"],
      mounts: ["shares", "storage"],
      overlay: "path",
      profiles: ["build-tools", "controller", "devel", "monitoring"],
      testSuites: ["blktests", "fstests", "ltp", "mmtests", "nfstest", "pynfs", "selftests"],
      user: "path",
    });
  });

  test("the module tree mirrors the output names: nixosModules.a.b is modules/a/b(.nix | /default.nix)", async () => {
    const leaves = (await flakeEval(
      "nixosModules",
      `m: let leaves = prefix: v: if builtins.isAttrs v then builtins.concatLists (map (n: leaves (prefix ++ [ n ]) v.\${n}) (builtins.attrNames v)) else [ { name = builtins.concatStringsSep "." prefix; path = toString v; } ]; in leaves [ ] m`,
    )) as { name: string; path: string }[];
    const mismatched = leaves
      .map(({ name, path: p }) => ({
        name,
        file: p.replace(/^\/nix\/store\/[^/]+\/modules\//, "").replace(/(\/default)?\.nix$/, ""),
      }))
      .filter(({ name, file }) => file !== name.replaceAll(".", "/"));
    expect(leaves.length).toBe(17);
    expect(mismatched).toEqual([]);
  });

  test("lib: the pure helpers and mkSystem", async () => {
    expect(await flakeEval("lib", "builtins.attrNames")).toEqual([
      "boot",
      "escape",
      "kernelConfig",
      "mkSystem",
      "mounts",
      "spec",
      "specModule",
      "suites",
      "toolchain",
    ]);
    expect(await flakeEval("lib", 'l: l.escape.mountUnit "/mnt/x-y"')).toBe("mnt-x\\x2dy.mount");
  });

  test("templates, overlays, and the per-system outputs' names", async () => {
    expect(await flakeEval("templates", "builtins.mapAttrs (_: t: builtins.baseNameOf t.path)")).toEqual({
      default: "imageless",
      imageless: "imageless",
      libvirt: "libvirt",
    });
    expect(await flakeEval("overlays", "o: builtins.mapAttrs (_: builtins.typeOf) o")).toEqual({
      default: "lambda",
    });
    expect(await flakeEval("packages", "builtins.attrNames")).toEqual(["aarch64-linux", "x86_64-linux"]);
    expect(await flakeEval("devShells", "builtins.attrNames")).toEqual(["aarch64-linux", "x86_64-linux"]);
    expect(await flakeEval("checks", "c: builtins.mapAttrs (_: builtins.attrNames) c")).toEqual({
      "x86_64-linux": ["imageless", "libvirt"],
    });
  });
});
