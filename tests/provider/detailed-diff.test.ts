// The provider's detailed diffs through the real Pulumi engine: `pulumi preview --diff` and
// `--json` of an in-place update (a guest's memory, a volume that grows) and of a replacement (a
// new kernel, beside a memory change), with the project in tests/fixtures/provider-diff/ against
// qemu:///system. The guest is only defined, never started.
import { copyFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import { sweepLibvirtObjects } from "../support/libvirt-objects";
import { repoRoot, testKernel, testPrefix } from "../support/paths";
import { type PulumiSandbox, pulumiSandbox } from "../support/pulumi";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const project = path.join(repoRoot, "tests", "fixtures", "provider-diff");
const prefix = `${testPrefix}diff-`;

interface Step {
  op: string;
  urn: string;
  replaceReasons?: string[];
  diffReasons?: string[];
  detailedDiff?: Record<string, { kind: string; inputDiff: boolean }>;
}

describe("detailed diffs through the Pulumi engine", () => {
  let work: string;
  let p: PulumiSandbox;
  const stack = `diff${process.pid}`;
  const run = (args: string[]) => p.run([...args, "-s", stack], { cwd: project });
  const set = async (config: Record<string, string>) => {
    for (const [k, v] of Object.entries(config)) await run(["config", "set", k, v]);
  };
  /** The steps of `pulumi preview --json`, by resource name. */
  const steps = async (): Promise<Record<string, Step>> => {
    const json = JSON.parse((await run(["preview", "--json"])).stdout) as { steps: Step[] };
    return Object.fromEntries(json.steps.map((s) => [s.urn.split("::").pop() as string, s]));
  };
  /** The lines `pulumi preview --diff` prints for one resource. */
  const block = (all: string, type: string): string => {
    const lines = all.split("\n");
    const start = lines.findIndex((l) => l.includes(`${type}: (`));
    if (start < 0) return "";
    const end = lines.findIndex((l, i) => i > start && /^\s{4}\S/.test(l) && !/^\s{4}\s/.test(l));
    return lines.slice(start, end < 0 ? undefined : end).join("\n");
  };

  beforeAll(async () => {
    work = makeWorkDir("engine-diff");
    mkdirSync(path.join(work, "pool"));
    // Two kernels QEMU's user can read where they are (no boot copies).
    for (const k of ["kernel-a", "kernel-b"]) copyFileSync(testKernel().vmlinuz, path.join(work, k));
    p = pulumiSandbox(work);
    await p.run(["stack", "init", stack], { cwd: project });
    await set({
      prefix,
      workDir: work,
      kernel: path.join(work, "kernel-a"),
      memoryMiB: "256",
      diskSize: "16M",
    });
    const up = await run(["up", "--yes", "--skip-preview"]);
    expect(up.all).toMatch(/\+ 4 created/);
  });

  afterAll(async () => {
    await run(["destroy", "--yes", "--skip-preview"]).catch(() => undefined);
    await p.run(["stack", "rm", "--yes", "--force", stack], { cwd: project, reject: false });
    const left = sweepLibvirtObjects(prefix);
    if (left.length > 0) console.warn(`swept: ${left.join(", ")}`);
    removeWorkDir(work);
  });

  test("an update: the changed properties only, each an update; a volume that grows is resized", async () => {
    await set({ memoryMiB: "320", diskSize: "24M" });
    const preview = await run(["preview", "--diff"]);
    const guest = block(preview.all, "nixlab:libvirt:Domain");
    expect(guest).toMatch(/~ nixlab:libvirt:Domain: \(update\)/);
    expect(guest).toMatch(/~ memoryMiB: 256 => 320/);
    // What did not change is not listed (the engine's own diff of the inputs lists them all).
    expect(guest).not.toMatch(/\bname\b|\bboot\b|\bdisks\b/);
    expect(block(preview.all, "nixlab:libvirt:Volume")).toMatch(/~ size: 16777216 => 25165824/);
    expect(preview.all).toMatch(/~ 2 to update/);

    const s = await steps();
    expect(s.guest).toMatchObject({
      op: "update",
      diffReasons: ["memoryMiB"],
      detailedDiff: { memoryMiB: { kind: "update", inputDiff: false } },
    });
    expect(s.guest?.replaceReasons ?? []).toEqual([]);
    expect(s.disk).toMatchObject({
      op: "update",
      detailedDiff: { size: { kind: "update", inputDiff: false } },
    });

    const up = await run(["up", "--yes", "--skip-preview"]);
    expect(up.all).toMatch(/~ 2 updated/);
  });

  test("a replacement: the property that forces it is named, beside the one that would update", async () => {
    await set({ kernel: path.join(work, "kernel-b"), memoryMiB: "384" });
    const preview = await run(["preview", "--diff"]);
    const guest = block(preview.all, "nixlab:libvirt:Domain");
    expect(guest).toMatch(/\+-nixlab:libvirt:Domain: \(replace\)/);
    expect(guest).toMatch(/~ boot\s*: \{\n\s*~ kernel: "[^"]*kernel-a" => "[^"]*kernel-b"\n\s*\}/);
    expect(guest).toMatch(/~ memoryMiB: 320 => 384/);
    expect(guest).not.toMatch(/cmdline|\bname\b|\bdisks\b/);
    // The CLI's text marks every changed property `~`: the provider says which one replaces.
    expect(preview.all).toMatch(/replaced because boot\.kernel cannot change in place/);
    expect(preview.all).toMatch(/\+-1 to replace/);

    const s = await steps();
    expect(s.guest).toMatchObject({
      op: "replace",
      replaceReasons: ["boot"],
      detailedDiff: {
        "boot.kernel": { kind: "update-replace", inputDiff: false },
        memoryMiB: { kind: "update", inputDiff: false },
      },
    });
    expect(s.disk?.op ?? "same").toBe("same");
  });

  test("a volume that shrinks is replaced, named by its size", async () => {
    await set({ kernel: path.join(work, "kernel-a"), memoryMiB: "320", diskSize: "8M" });
    const s = await steps();
    expect(s.disk).toMatchObject({
      op: "replace",
      replaceReasons: ["size"],
      detailedDiff: { size: { kind: "update-replace", inputDiff: false } },
    });
  });
});
