// A loopback sshd with a generated key accepts a login and runs a command.
import * as path from "node:path";
import { execa } from "execa";
import { type LoopbackSshd, startSshd } from "../support/sshd";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

describe("sshd on loopback", () => {
  let work: string;
  let sshd: LoopbackSshd;
  beforeAll(async () => {
    work = makeWorkDir("ssh-smoke");
    sshd = await startSshd(path.join(work, "sshd"));
  });
  afterAll(async () => {
    await sshd?.stop();
    removeWorkDir(work);
  });

  test("runs a command with the generated key and a pinned host key", async () => {
    const { stdout } = await execa("ssh", [
      ...sshd.sshArgs,
      `${sshd.user}@${sshd.host}`,
      "echo",
      "nixlab-$((6*7))",
    ]);
    expect(stdout).toBe("nixlab-42");
  });

  test("refuses a key it does not know", async () => {
    const other = path.join(work, "stranger");
    await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    const args = sshd.sshArgs.map((a) => (a === sshd.identityFile ? other : a));
    const r = await execa("ssh", [...args, `${sshd.user}@${sshd.host}`, "true"], { reject: false });
    expect(r.exitCode).toBe(255);
    expect(r.stderr).toMatch(/Permission denied/);
  });
});
