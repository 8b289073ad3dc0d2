// The user's path, as a user takes it: `npm run demo` and `npm run demo:destroy`, the README's
// Quick start commands in a non-interactive shell, and scripts/pulumi's passphrase rules,
// through the real engine, Nix and libvirt. All of it in a copy of the checkout (no dist/, no
// stacks/) with its own NIXLAB_STATE_DIR and PULUMI_HOME, never the user's stacks or state; the
// guests carry this run's prefix (the user's own demo guest is nixlab-demo).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { virsh, waitForConsole } from "../support/libvirt";
import { repoRoot, testPrefix } from "../support/paths";
import { checkoutCopy, stackTemplate } from "../support/root-project";
import { makeWorkDir, removeWorkDir } from "../support/workdir";

const demoGuest = `${testPrefix}demo-cmd`;
const readmeGuest = `${testPrefix}readme`;

interface Run {
  exitCode: number;
  all: string;
}

/** The environment of a user's shell, minus anything that points at the user's own Pulumi or nixlab state. */
function userEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(PULUMI_|NIXLAB_|npm_)/.test(k) || k === "XDG_STATE_HOME") continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

describe("the demo commands and the README's Quick start", () => {
  let work: string;
  let checkout: string;
  let env: Record<string, string>;
  let passphraseFile: string;

  /** Run a command in the checkout copy as a non-interactive user shell would (stdin not a terminal). */
  const run = async (file: string, args: string[], extra: Record<string, string> = {}): Promise<Run> => {
    const r = await execa(file, args, {
      cwd: checkout,
      env: { ...env, ...extra },
      extendEnv: false,
      reject: false,
      all: true,
      input: "",
      timeout: 20 * 60_000,
    });
    return { exitCode: r.exitCode ?? -1, all: r.all ?? "" };
  };
  const ok = async (file: string, args: string[], extra: Record<string, string> = {}): Promise<string> => {
    const r = await run(file, args, extra);
    if (r.exitCode !== 0) throw new Error(`${file} ${args.join(" ")} exited ${r.exitCode}:\n${r.all}`);
    return r.all;
  };
  const stacks = async (): Promise<string[]> =>
    (
      JSON.parse(await ok("scripts/pulumi", ["stack", "ls", "--all", "--json", "--non-interactive"])) as {
        name: string;
      }[]
    ).map((s) => s.name);
  const domains = async (): Promise<string[]> => (await virsh(["list", "--all", "--name"])).split("\n");

  beforeAll(() => {
    work = makeWorkDir("demo-command");
    checkout = checkoutCopy(path.join(work, "checkout"));
    env = userEnv({
      NIXLAB_STATE_DIR: path.join(work, "state"),
      PULUMI_HOME: path.join(work, "pulumi-home"),
      // node_modules is the repository's, linked in: its npm phase has its own test (tests/setup).
      NIXLAB_SKIP: "npm",
    });
    passphraseFile = path.join(work, "state", "pulumi-passphrase");
  });

  afterAll(async () => {
    for (const guest of [demoGuest, readmeGuest]) {
      await execa("virsh", ["-c", "qemu:///system", "destroy", guest], { reject: false });
      await execa("virsh", ["-c", "qemu:///system", "undefine", guest], { reject: false });
    }
    removeWorkDir(work);
  });

  test("npm run demo: set-up checked, program built, stack created with a generated 0600 passphrase, guest up", async () => {
    expect(existsSync(path.join(checkout, "dist"))).toBe(false);
    const t0 = Date.now();
    const out = await ok("npm", ["run", "demo"], { NIXLAB_DEMO_GUEST: demoGuest });
    console.info(`npm run demo (fresh copy: build + stack + up): ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    expect(out).toMatch(/phase kernel: done/);
    expect(out).toMatch(/phase nix-linters: skipped/);
    expect(out).toMatch(/demo: building the program and the provider plugin \(npm run build\)/);
    expect(existsSync(path.join(checkout, "dist", "index.js"))).toBe(true);

    // The passphrase: generated, said so, readable by the owner only.
    expect(out).toContain(`was generated into ${passphraseFile} (mode 0600`);
    expect(statSync(passphraseFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(passphraseFile, "utf8").trim().length).toBeGreaterThanOrEqual(32);

    expect(out).toMatch(/\+ 7 created/);
    // One language host, the one beside the CLI and on PATH: the engine has nothing to warn about.
    expect(out).not.toMatch(/using pulumi-language-nodejs from/);
    const printed = new RegExp(`guest ${demoGuest}\\n  ipAddress +(192\\.168\\.122\\.\\d+)`).exec(out);
    if (!printed) throw new Error(`no address printed for ${demoGuest}:\n${out}`);
    const consoleLog = /consoleLog +(\S+)/.exec(out.slice(printed.index))?.[1] ?? "";
    expect((await waitForConsole(consoleLog, /NIXLAB-DEMO-IP (\S+)/))[1]).toBe(printed[1]);
    expect((await virsh(["domstate", demoGuest])).trim()).toBe("running");

    // The stack's config is the user's file in stacks/, which git ignores; the template is untouched.
    const config = readFileSync(path.join(checkout, "stacks", "Pulumi.demo.yaml"), "utf8");
    expect(config).toMatch(/^encryptionsalt: /m);
    expect(config).toContain(`name: ${demoGuest}`);
    expect(readFileSync(path.join(checkout, "stack-templates", "demo.yaml"), "utf8")).toBe(
      stackTemplate("demo"),
    );
    execFileSync("git", ["check-ignore", "-q", "stacks/Pulumi.demo.yaml"], { cwd: repoRoot });
  });

  test("a second npm run demo changes nothing, builds nothing and keeps the passphrase", async () => {
    const before = readFileSync(passphraseFile, "utf8");
    const t0 = Date.now();
    const out = await ok("npm", ["run", "demo"], { NIXLAB_DEMO_GUEST: demoGuest });
    console.info(`second npm run demo: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(out).toMatch(/stack demo exists; bringing it up to date/);
    expect(out).toMatch(/7 unchanged/);
    expect(out).not.toMatch(/generated|npm run build|\d+ created|updated/);
    expect(readFileSync(passphraseFile, "utf8")).toBe(before);
  });

  test("npm run demo:destroy removes the guest, the stack, its config file and the generated passphrase", async () => {
    const t0 = Date.now();
    const out = await ok("npm", ["run", "demo:destroy"]);
    console.info(`npm run demo:destroy: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(out).toMatch(/- 7 deleted/);
    expect(out).toContain(`removed the generated passphrase ${passphraseFile}`);
    expect(await domains()).not.toContain(demoGuest);
    expect(await stacks()).toEqual([]);
    expect(existsSync(path.join(checkout, "stacks"))).toBe(false);
    expect(existsSync(passphraseFile)).toBe(false);
    expect(readdirSync(path.join(work, "state", "gcroots"))).toEqual([]);
  });

  test("the README's step-by-step Quick start runs as written in a non-interactive shell", async () => {
    const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
    const quickStart = readme.slice(readme.indexOf("## Quick start"));
    const block = /```sh\n((?:(?!```)[\s\S])*scripts\/pulumi stack init demo[\s\S]*?)```/.exec(
      quickStart,
    )?.[1];
    if (!block) throw new Error("no step-by-step block in the README's Quick start");
    expect(block).toMatch(/stack rm --yes -s demo/);
    // This copy's template names a guest of this run; the README's lines are run unchanged.
    writeFileSync(
      path.join(checkout, "stack-templates", "demo.yaml"),
      stackTemplate("demo", { guestName: readmeGuest }),
    );
    const script = path.join(work, "quick-start.sh");
    writeFileSync(script, `set -euo pipefail\n${block}`);
    const t0 = Date.now();
    const out = await ok("bash", [script]);
    console.info(`README Quick start, step by step: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(out).toMatch(/\+ 7 created/);
    expect(out).toMatch(new RegExp(`"${readmeGuest}":\\s*\\{[^}]*"ipAddress":\\s*"192\\.168\\.122\\.\\d+"`));
    expect(out).toMatch(/- 7 deleted/);
    expect(out).toMatch(/Stack 'demo' has been removed/);
    expect(await domains()).not.toContain(readmeGuest);
    expect(await stacks()).toEqual([]);
    expect(existsSync(path.join(checkout, "stacks", "Pulumi.demo.yaml"))).toBe(false);
  });

  test("scripts/pulumi refuses an empty passphrase for a new stack and for a stack holding secrets", async () => {
    // A state dir of its own: no generated passphrase to fall back on.
    const own = { NIXLAB_STATE_DIR: path.join(work, "state-passphrase") };
    const pulumi = (args: string[], passphrase?: string) =>
      run("scripts/pulumi", [...args, "--non-interactive"], {
        ...own,
        ...(passphrase === undefined ? {} : { PULUMI_CONFIG_PASSPHRASE: passphrase }),
      });

    const init = await pulumi(["stack", "init", "lonely"], "");
    expect(init.exitCode).toBe(1);
    expect(init.all).toMatch(/PULUMI_CONFIG_PASSPHRASE is empty: refusing to create stack 'lonely'/);
    expect(existsSync(path.join(checkout, "stacks", "Pulumi.lonely.yaml"))).toBe(false);

    expect((await pulumi(["stack", "init", "lonely"], "mine")).exitCode).toBe(0);
    // Without secrets, an empty passphrase still reads the stack's plain config.
    expect((await pulumi(["config", "-s", "lonely"], "")).exitCode).toBe(0);
    expect(
      (await pulumi(["config", "set", "--secret", "token", "s3cret", "-s", "lonely"], "mine")).exitCode,
    ).toBe(0);

    const empty = await pulumi(["config", "get", "token", "-s", "lonely"], "");
    expect(empty.exitCode).toBe(1);
    expect(empty.all).toMatch(/PULUMI_CONFIG_PASSPHRASE is empty and stack 'lonely' holds secrets/);
    // Unset: never replaced by an empty one; pulumi itself asks for it (here: no terminal, so it stops).
    const unset = await pulumi(["config", "get", "token", "-s", "lonely"]);
    expect(unset.exitCode).not.toBe(0);
    expect(unset.all).toMatch(
      /passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE/,
    );
    const mine = await pulumi(["config", "get", "token", "-s", "lonely"], "mine");
    expect(mine.all.trim().split("\n").at(-1)).toBe("s3cret");

    expect((await pulumi(["stack", "rm", "--yes", "-s", "lonely"])).exitCode).toBe(0);
    expect(existsSync(path.join(checkout, "stacks", "Pulumi.lonely.yaml"))).toBe(false);
  });
});
