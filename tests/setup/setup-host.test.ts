// The host set-up script: a second run on a prepared host changes nothing, and a missing
// prerequisite fails with what is missing and how to get it.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { repoRoot } from "../support/paths";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const digest = (file: string): string =>
  existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : "absent";

describe("scripts/setup-host", () => {
  let work: string;
  beforeAll(() => {
    work = makeWorkDir("setup");
  });
  afterAll(() => removeWorkDir(work));

  test("a second run finds everything in place and changes nothing", async () => {
    const watched = ["/etc/nix/nix.conf", "/etc/apt/sources.list.d/nixlab-trixie.sources"];
    const before = watched.map(digest);
    const r = await execa("bash", [path.join(repoRoot, "scripts/setup-host")], { all: true });
    expect(r.all).toMatch(/all host packages present/);
    expect(r.all).toMatch(/flakes already enabled/);
    expect(r.all).toMatch(/network default active/);
    expect(r.all).toMatch(/kernel: cached/);
    expect(r.all).toMatch(/pulumi v3\.248\.0 cached/);
    expect(r.all).toMatch(/deadnix [0-9.]+ already in/);
    // Nothing was installed, built, downloaded, started or edited.
    expect(r.all).not.toMatch(/installing|building|downloading|starting|defining|enabled in|adding/);
    expect(watched.map(digest)).toEqual(before);
  });

  test("run as an unprivileged user without the tools, it names what is missing and how to get it", async () => {
    // A PATH with the shell basics only: virsh, qemu, nix and friends are not on it.
    const bin = path.join(work, "bin");
    mkdirSync(bin);
    for (const tool of [
      "bash",
      "sed",
      "grep",
      "sort",
      "head",
      "id",
      "dpkg-query",
      "ldd",
      "cat",
      "readlink",
      "dirname",
      "apt-get",
    ]) {
      const { stdout } = await execa("sh", ["-c", 'command -v "$1"', "sh", tool]);
      symlinkSync(stdout.trim(), path.join(bin, tool));
    }
    // A copy of the scripts that nobody can read (the checkout itself may sit under /root).
    const scripts = path.join(work, "scripts");
    cpSync(path.join(repoRoot, "scripts"), scripts, { recursive: true });
    const r = await execa(
      "/usr/bin/setpriv",
      [
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        "--",
        `${bin}/bash`,
        path.join(scripts, "setup/apt-packages"),
      ],
      { env: { PATH: bin, HOME: work }, extendEnv: false, reject: false, all: true },
    );
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(/error: missing: .*libvirt-clients/);
    expect(r.all).toMatch(/nix>=2\.18/);
    expect(r.all).toMatch(
      /run this script as root \(or with passwordless sudo\), or install them: sudo apt-get install/,
    );
  });
});
