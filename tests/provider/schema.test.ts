// One declaration per resource: what is derived from it — the diff's keys and replacement rules,
// the detailed diff the engine gets, the package schema the real `pulumi package get-schema` reads
// from the plugin and validates, and the README tables (current, or `npm run gen`).
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { diffResponse, parsePath, toDiffResult } from "../../provider/detailed-diff";
import { activationDeclaration } from "../../provider/host/activation";
import { domainDeclaration } from "../../provider/libvirt/domain";
import { volumeDeclaration } from "../../provider/libvirt/volume";
import { NixlabProvider } from "../../provider/plugin";
import { definitions, providerVersion } from "../../provider/registry";
import { declaredDiff, keysOf } from "../../provider/schema/declare";
import { readmes, renderReadme, tablesIn } from "../../provider/schema/docs";
import { type JsonNode, jsonSchemaOf, packageSchema } from "../../provider/schema/package-schema";
import { repoRoot } from "../support/paths";
import { pulumiSandbox } from "../support/pulumi";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const declarations = definitions.map((d) => d.declaration);
const plugin = path.join(repoRoot, "provider", "bin", "pulumi-resource-nixlab");

describe("the declarations", () => {
  test("every resource is declared once, and every property and field is documented", () => {
    const tokens = declarations.map((d) => d.token);
    expect(new Set(tokens).size).toBe(tokens.length);
    const undocumented: string[] = [];
    const walk = (where: string, node: JsonNode) => {
      for (const [k, p] of Object.entries(node.properties ?? {})) {
        if (!p.description) undocumented.push(`${where}.${k}`);
        const inner = p.items ?? p;
        if (inner.properties) walk(`${where}.${k}`, inner);
      }
    };
    for (const d of declarations) {
      walk(`${d.token} input`, jsonSchemaOf(d.inputs, "input"));
      walk(`${d.token} output`, jsonSchemaOf(d.outputs, "output"));
    }
    expect(undocumented).toEqual([]);
  });

  test("replacement marks: what replaces a domain, and what updates it in place", () => {
    const k = keysOf(domainDeclaration);
    expect(k.replace.sort()).toEqual(
      [
        "uri",
        "name",
        "machine",
        "arch",
        "firmware",
        "disks",
        "networkInterfaces",
        "boot",
        "filesystems",
        "consoleLog",
        "bootDir",
      ].sort(),
    );
    expect(k.inputs.filter((x) => !k.replace.includes(x)).sort()).toEqual(
      [
        "vcpus",
        "memoryMiB",
        "cpu",
        "virtType",
        "autostart",
        "running",
        "ipTimeoutSeconds",
        "restartOnUpdate",
        "shutdownTimeoutSeconds",
        "ssh",
      ].sort(),
    );
    expect(keysOf(activationDeclaration)).toMatchObject({
      replace: [],
      nestedReplace: { connection: ["host", "user", "port"] },
      secret: ["connection"],
    });
  });

  test("a diff compares every input as data and replaces by the marks, also inside objects", () => {
    const conn = { host: "h", user: "root", port: 22, hostKeyChecking: "strict", connectTimeoutSeconds: 10 };
    const olds = { connection: conn, closure: "/nix/store/a", action: "switch" };
    expect(
      declaredDiff(activationDeclaration, olds, { ...olds, connection: { ...conn, host: "g" } }),
    ).toEqual({
      changes: true,
      replaces: ["connection.host"],
      updates: [],
    });
    expect(
      declaredDiff(activationDeclaration, olds, {
        ...olds,
        connection: { ...conn, privateKey: "k" },
        action: "boot",
      }),
    ).toEqual({ changes: true, replaces: [], updates: ["connection", "action"] });
    const reordered = Object.fromEntries(Object.entries(conn).reverse());
    expect(declaredDiff(activationDeclaration, olds, { ...olds, connection: reordered }).changes).toBe(false);
    // A key the resource compares itself is left to it (a volume's size grows in place).
    expect(declaredDiff(volumeDeclaration, { size: 1 }, { size: 2 }, ["size"]).changes).toBe(false);
  });
});

describe("the detailed diff", () => {
  test("paths at which old state and new inputs differ, each an update or a replacement", () => {
    const olds = {
      memoryMiB: 256,
      boot: { kernel: "/k1", cmdline: "a" },
      disks: [{ volume: "a" }],
      name: "g",
    };
    const news = {
      memoryMiB: 320,
      boot: { kernel: "/k2", cmdline: "a" },
      disks: [{ volume: "a", serial: "s" }],
      name: "g",
    };
    const r = toDiffResult(
      { changes: true, replaces: ["boot", "disks"], updates: ["memoryMiB"] },
      olds,
      news,
      true,
    );
    expect(r).toEqual({
      changes: true,
      replaces: ["boot", "disks"],
      diffs: ["memoryMiB", "boot", "disks"],
      detailedDiff: {
        memoryMiB: "update",
        "boot.kernel": "update-replace",
        "disks[0].serial": "add-replace",
      },
      deleteBeforeReplace: true,
    });
    // A replacement no property explains (the object is gone): replaced, with no property listed.
    expect(toDiffResult({ changes: true, replaces: ["name"] }, olds, olds, true)).toMatchObject({
      replaces: ["name"],
      detailedDiff: {},
    });
    expect(parsePath("disks[10].serial")).toEqual(["disks", 10, "serial"]);
  });

  test("the gRPC response carries diffs and the detailed diff with its kinds", () => {
    const resp = diffResponse({
      changes: true,
      replaces: ["boot"],
      diffs: ["boot", "memoryMiB"],
      detailedDiff: { "boot.kernel": "update-replace", memoryMiB: "update" },
      deleteBeforeReplace: true,
    }).toObject();
    expect(resp).toMatchObject({
      changes: 2, // DIFF_SOME
      replacesList: ["boot"],
      diffsList: ["boot", "memoryMiB"],
      hasdetaileddiff: true,
      deletebeforereplace: true,
    });
    expect(Object.fromEntries(resp.detaileddiffMap)).toEqual({
      "boot.kernel": { kind: 5, inputdiff: false }, // UPDATE_REPLACE
      memoryMiB: { kind: 4, inputdiff: false }, // UPDATE
    });
  });
});

describe("the package schema", () => {
  let work: string;
  beforeAll(() => {
    work = makeWorkDir("schema");
  });
  afterAll(() => removeWorkDir(work));

  test("pulumi package get-schema reads it from the plugin and the CLI's validation passes", async () => {
    const p = pulumiSandbox(work);
    const r = await p.run(["package", "get-schema", plugin], { cwd: work, reject: false });
    expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: "" });
    const served = JSON.parse(r.stdout);
    expect(served).toEqual(packageSchema(declarations, providerVersion));
    expect(Object.keys(served.resources).sort()).toEqual(declarations.map((d) => d.token).sort());
    expect(served.resources["nixlab:libvirt:Domain"].inputProperties.boot).toMatchObject({
      $ref: "#/types/nixlab:libvirt:DomainBoot",
      replaceOnChanges: true,
    });
    expect(served.resources["nixlab:nix:Copy"].inputProperties.ssh.secret).toBe(true);
    expect(served.types["nixlab:host:SshConnection"].properties.host.replaceOnChanges).toBe(true);
  });

  test("the CLI's validation refuses a schema that is not one (the check above can fail)", async () => {
    const broken = packageSchema(declarations, providerVersion) as unknown as Record<string, unknown>;
    const bad = {
      ...broken,
      resources: { "nixlab:libvirt:Pool": { inputProperties: { x: { type: "strnig" } } } },
    };
    const file = path.join(work, "bad-schema.json");
    writeFileSync(file, JSON.stringify(bad));
    const r = await pulumiSandbox(work).run(["package", "get-schema", file], { cwd: work, reject: false });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/failed to bind schema/);
  });

  test("GetSchema of the provider is the same schema", async () => {
    const schema = await new NixlabProvider(providerVersion, definitions).getSchema();
    expect(JSON.parse(schema)).toEqual(packageSchema(declarations, providerVersion));
  });
});

describe("README tables", () => {
  test.each(readmes)("%s: the generated tables are current (npm run gen)", (file) => {
    const text = readFileSync(path.join(repoRoot, file), "utf8");
    expect(renderReadme(text, declarations)).toBe(text);
  });

  test("every resource has its table in exactly one README", () => {
    const tables = readmes.flatMap((f) => tablesIn(readFileSync(path.join(repoRoot, f), "utf8")));
    expect(tables.sort()).toEqual(declarations.map((d) => d.token).sort());
  });
});
