// The controller path through the real engine: a ControllerHost copies a closure over ssh-ng to a
// loopback sshd "host", activates it there, updates it to another generation, and keeps the host
// as it is on destroy. The private key goes in as a secret and never appears in the state file.
import { readdirSync, readFileSync, realpathSync } from "node:fs";
import * as path from "node:path";
import { prepareActivationFixture } from "../support/nix-fixture";
import { repoRoot } from "../support/paths";
import { type PulumiSandbox, pulumiSandbox } from "../support/pulumi";
import { type LoopbackSshd, startSshd } from "../support/sshd";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const project = path.join(repoRoot, "tests", "fixtures", "controller");

describe("ControllerHost through the Pulumi engine", () => {
  let work: string;
  let sshd: LoopbackSshd;
  let p: PulumiSandbox;
  let callLog: string;
  let profile: string;
  const stack = `ctl${process.pid}`;

  beforeAll(async () => {
    work = makeWorkDir("engine-controller");
    sshd = await startSshd(path.join(work, "sshd"));
    const { flake, callLog: log } = prepareActivationFixture(work, path.join(work, "sshd", "sshd.pid"));
    callLog = log;
    profile = path.join(work, "profiles", "system");
    p = pulumiSandbox(work, { NIXLAB_STATE_DIR: path.join(work, "state") });
    await p.run(["stack", "init", stack], { cwd: project });
    const set = (k: string, v: string, secret = false) =>
      p.run(["config", "set", ...(secret ? ["--secret"] : []), k, "-s", stack], { cwd: project, input: v });
    await set("flake", `path:${flake}`);
    await set("attribute", "packages.x86_64-linux.a");
    await set("user", sshd.user);
    await set("port", String(sshd.port));
    await set("privateKey", readFileSync(sshd.identityFile, "utf8"), true);
    await set("knownHosts", readFileSync(sshd.knownHostsFile, "utf8"));
    await set("profile", profile);
  });
  afterAll(async () => {
    await p.run(["stack", "rm", "--yes", "--force", "-s", stack], { cwd: project, reject: false });
    await sshd?.stop();
    removeWorkDir(work);
  });

  const calls = () => readFileSync(callLog, "utf8").trim().split("\n");

  test("up activates, a config change switches generations, destroy keeps the host", async () => {
    const up = await p.run(["up", "--yes", "--skip-preview", "-s", stack], { cwd: project });
    expect(up.all).toMatch(/\+ 6 created/);
    expect(calls()).toEqual(["a switch"]);
    const outputs = JSON.parse(
      (await p.run(["stack", "output", "--json", "-s", stack], { cwd: project })).stdout,
    );
    expect(outputs.libvirtUri).toBe(`qemu+ssh://${sshd.user}@127.0.0.1:${sshd.port}/system`);
    expect(realpathSync(profile)).toBe(outputs.closurePath);

    // The key is in the state only in encrypted form.
    const state = (await p.run(["stack", "export", "-s", stack], { cwd: project })).stdout;
    expect(state).not.toContain("OPENSSH PRIVATE KEY");
    expect(state).toContain("ciphertext");

    await p.run(["config", "set", "attribute", "packages.x86_64-linux.b", "-s", stack], { cwd: project });
    const update = await p.run(["up", "--yes", "--skip-preview", "-s", stack], { cwd: project });
    expect(update.all).toMatch(/~ 3 updated/);
    expect(calls()).toEqual(["a switch", "b switch"]);

    const noop = await p.run(["up", "--yes", "--skip-preview", "-s", stack], { cwd: project });
    expect(noop.all).toMatch(/6 unchanged/);
    expect(calls()).toHaveLength(2);

    await p.run(["destroy", "--yes", "--skip-preview", "-s", stack], { cwd: project });
    expect(calls()).toHaveLength(2);
    expect(realpathSync(profile)).toMatch(/-nixlab-fake-system-b$/);
    expect(readdirSync(path.join(work, "state", "gcroots"))).toEqual([]);
  });
});
