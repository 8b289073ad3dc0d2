// The host set-up script: a second run on a prepared host changes nothing, a missing
// prerequisite fails with what is missing and how to get it, and the npm phase runs `npm ci`
// only when node_modules does not match package-lock.json.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
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
    // The npm phase is left out here: on a checkout whose node_modules came from a plain `npm ci`
    // it would reinstall the packages this test run is using. Its own test is below, on a copy.
    const r = await execa("bash", [path.join(repoRoot, "scripts/setup-host")], {
      all: true,
      env: { NIXLAB_SKIP: "npm" },
    });
    expect(r.all).toMatch(/all host packages present/);
    expect(r.all).toMatch(/flakes already enabled/);
    expect(r.all).toMatch(/network default active/);
    expect(r.all).toMatch(/kernel: cached/);
    expect(r.all).toMatch(/pulumi v3\.248\.0 cached/);
    expect(r.all).toMatch(/deadnix [0-9.]+ already in/);
    expect(r.all).toMatch(/phase npm: skipped \(NIXLAB_SKIP\)/);
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

  test("an unknown argument is refused, naming the ones it knows", async () => {
    const r = await execa("bash", [path.join(repoRoot, "scripts/setup-host"), "--allow-trixy"], {
      reject: false,
      all: true,
    });
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(/unknown argument '--allow-trixy' \(known: --allow-trixie, --help\)/);
    expect(r.all).not.toMatch(/phase apt/);
  });

  test("the npm phase runs npm ci once, skips it while node_modules matches the lock file, and again after a change", async () => {
    // A project with one local (file:) dependency: real npm, no registry needed.
    const project = path.join(work, "npm-project");
    mkdirSync(path.join(project, "dep"), { recursive: true });
    writeFileSync(
      path.join(project, "dep", "package.json"),
      JSON.stringify({ name: "dep", version: "1.0.0" }),
    );
    writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "p", version: "1.0.0", dependencies: { dep: "file:dep" } }),
    );
    await execa("npm", ["install", "--package-lock-only", "--offline", "--no-audit", "--no-fund"], {
      cwd: project,
    });
    const phase = (): Promise<{ all: string }> =>
      execa("bash", [path.join(repoRoot, "scripts/setup/node-modules"), project], { all: true });
    // npm ci deletes node_modules before it installs: a file of ours there shows whether it ran.
    const sentinel = path.join(project, "node_modules", "sentinel");

    const first = await phase();
    expect(first.all).toMatch(/npm: installing the packages of package-lock.json \(npm ci\)/);
    expect(existsSync(path.join(project, "node_modules", "dep", "package.json"))).toBe(true);
    writeFileSync(sentinel, "");

    const second = await phase();
    expect(second.all).toMatch(/node_modules matches package-lock.json \(npm ci skipped\)/);
    expect(second.all).not.toMatch(/installing/);
    expect(existsSync(sentinel)).toBe(true);

    // Another lock file (here: the same packages, reformatted) means another install.
    const lock = path.join(project, "package-lock.json");
    writeFileSync(lock, `${JSON.stringify(JSON.parse(readFileSync(lock, "utf8")))}\n`);
    const third = await phase();
    expect(third.all).toMatch(/npm ci/);
    expect(existsSync(sentinel)).toBe(false);
    expect(readFileSync(path.join(project, "node_modules", ".nixlab-lock-hash"), "utf8").trim()).toBe(
      createHash("sha256").update(readFileSync(lock)).digest("hex"),
    );
  });
});
