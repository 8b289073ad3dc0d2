// SDKs for Pulumi's other languages, generated from the provider's schema by the CLI's own
// `pulumi package gen-sdk` with Pulumi's generators of the CLI's release (scripts/gen-sdk-hosts):
// generation must succeed and what it writes must at least parse (Python) and type-check
// (TypeScript). The generated SDKs are not exercised against the engine here.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { NixlabProvider } from "../../provider/plugin";
import { definitions, providerVersion } from "../../provider/registry";
import { repoRoot } from "../support/paths";
import { type PulumiSandbox, pulumiSandbox } from "../support/pulumi";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

describe("pulumi package gen-sdk from the schema", () => {
  let work: string;
  let schema: string;
  let p: PulumiSandbox;

  beforeAll(async () => {
    work = makeWorkDir("gen-sdk");
    schema = path.join(work, "nixlab.json");
    writeFileSync(schema, await new NixlabProvider(providerVersion, definitions).getSchema());
    // The generators are built once and cached beside the CLI (minutes the first time).
    const hosts = execFileSync(path.join(repoRoot, "scripts", "gen-sdk-hosts", "build"), {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      timeout: 20 * 60_000,
    }).trim();
    p = pulumiSandbox(work, {}, { pathPrepend: [hosts] });
  }, 25 * 60_000);

  afterAll(() => removeWorkDir(work));

  const generate = async (language: string) => {
    const out = path.join(work, "sdk");
    const r = await p.run(["package", "gen-sdk", schema, "--language", language, "--out", out], {
      cwd: work,
      reject: false,
    });
    expect({ exitCode: r.exitCode, all: r.all }).toMatchObject({ exitCode: 0 });
    expect(r.all).not.toMatch(/^(error|warning): (?!using pulumi-language)/m);
    return path.join(out, language);
  };

  test("nodejs: a class per resource, and it type-checks", async () => {
    const dir = await generate("nodejs");
    for (const f of [
      "libvirt/domain.ts",
      "libvirt/pool.ts",
      "nix/build.ts",
      "host/activation.ts",
      "types/input.ts",
    ])
      expect(existsSync(path.join(dir, f))).toBe(true);
    expect(readFileSync(path.join(dir, "libvirt/domain.ts"), "utf8")).toMatch(
      /export class Domain extends pulumi\.CustomResource/,
    );
    symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
    execFileSync(path.join(repoRoot, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", dir], {
      stdio: "pipe",
    });
  });

  test("python: a module per resource, and it parses", async () => {
    const dir = await generate("python");
    const domain = path.join(dir, "pulumi_nixlab", "libvirt", "domain.py");
    expect(readFileSync(domain, "utf8")).toMatch(/class Domain\(pulumi\.CustomResource\)/);
    execFileSync("python3", ["-m", "compileall", "-q", dir], { stdio: "pipe" });
  });

  test("go: a file per resource, formatted as Go", async () => {
    const dir = await generate("go");
    const domain = path.join(dir, "nixlab", "libvirt", "domain.go");
    expect(readFileSync(domain, "utf8")).toMatch(/type Domain struct/);
    // gofmt parses every file; it lists none that needs formatting.
    expect(execFileSync("gofmt", ["-l", dir], { encoding: "utf8" })).toBe("");
  });
});
