// The real Pulumi CLI runs `up` then `destroy` of a TypeScript program through `runtime: nodejs`
// (engine + Node.js language host + @pulumi/pulumi), on a file:// backend.
import * as path from "node:path";
import { repoRoot } from "../support/paths";
import { pulumiSandbox } from "../support/pulumi";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

describe("pulumi engine", () => {
  let work: string;
  beforeAll(() => {
    work = makeWorkDir("pulumi-smoke");
  });
  afterAll(() => removeWorkDir(work));

  test("up and destroy a TypeScript program with config", async () => {
    // The project runs in place so that @pulumi/pulumi resolves from the repo's node_modules.
    const project = path.join(repoRoot, "tests", "fixtures", "pulumi-smoke");
    const p = pulumiSandbox(work);
    const stack = `smoke${process.pid}`;
    await p.run(["stack", "init", stack], { cwd: project });
    try {
      await p.run(["config", "set", "greeting", "hej", "-s", stack], { cwd: project });
      const up = await p.run(["up", "--yes", "--skip-preview", "-s", stack], { cwd: project });
      expect(up.all).toMatch(/\+ 2 created/);
      const out = await p.run(["stack", "output", "text", "-s", stack], { cwd: project });
      expect(out.stdout).toBe(`hej from ${stack}`);

      const down = await p.run(["destroy", "--yes", "--skip-preview", "-s", stack], { cwd: project });
      expect(down.all).toMatch(/- 2 deleted/);
      const exported = await p.run(["stack", "export", "-s", stack], { cwd: project });
      expect(JSON.parse(exported.stdout).deployment.resources ?? []).toHaveLength(0);
    } finally {
      await p.run(["stack", "rm", "--yes", "--force", stack], { cwd: project, reject: false });
    }
  });
});
