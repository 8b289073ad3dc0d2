// nix/lib/escape.nix: unit names exactly as `systemd-escape --path` makes them.
import { findProgram, nixEval, nixEvalError, run } from "./nix-eval";

const cases: Array<[string, string]> = [
  ["/", "-"],
  ["/mnt/scratch", "mnt-scratch"],
  ["/mnt/my-disk", "mnt-my\\x2ddisk"],
  ["/mnt/a b", "mnt-a\\x20b"],
  ["/mnt/a b/c-d", "mnt-a\\x20b-c\\x2dd"],
  ["/.hidden/x", "\\x2ehidden-x"],
  ["/srv/v1.2/data_set:0", "srv-v1.2-data_set:0"],
  ["//a//./b/", "a-b"],
  ["/a\\b", "a\\x5cb"],
  ["/~", "\\x7e"],
  ["/dev/disk/by-id/virtio-scratch", "dev-disk-by\\x2did-virtio\\x2dscratch"],
];

describe("escape.nix", () => {
  test("escapePath matches systemd-escape --path", async () => {
    const got = await nixEval<string[]>(
      "paths: map nixlab.escape.escapePath paths",
      cases.map(([p]) => p),
    );
    expect(got).toEqual(cases.map(([, e]) => e));
  });

  // systemd-escape comes with Debian's systemd package (scripts/setup/apt-packages makes sure).
  test("the expected names are what this host's systemd-escape prints", async () => {
    const systemdEscape = findProgram("systemd-escape");
    expect(systemdEscape).toBeTruthy();
    for (const [p, expected] of cases) {
      const result = await run(systemdEscape as string, ["--path", p]);
      expect([p, result.stdout.trim()]).toEqual([p, expected]);
    }
  });

  test("mount and device unit names", async () => {
    const got = await nixEval(
      '_: { mount = nixlab.escape.mountUnit "/mnt/my-scratch"; device = nixlab.escape.deviceUnit "/dev/disk/by-id/nvme-x_1"; root = nixlab.escape.mountUnit "/"; }',
    );
    expect(got).toEqual({
      mount: "mnt-my\\x2dscratch.mount",
      device: "dev-disk-by\\x2did-nvme\\x2dx_1.device",
      root: "-.mount",
    });
  });

  test("normalisePath drops repeated slashes, '.' and a trailing slash", async () => {
    const got = await nixEval("map nixlab.escape.normalisePath", ["/", "//mnt///x/./y/", "/a b/"]);
    expect(got).toEqual(["/", "/mnt/x/y", "/a b"]);
  });

  test.each([
    ["mnt/x", 'path: expected an absolute path (starting with /), got "mnt/x"'],
    ["/mnt/../etc", 'path: ".." is not allowed in paths, got "/mnt/../etc"'],
    ["/mnt/\u00e9", 'path: only printable ASCII is supported in paths, got "/mnt/\u00e9"'],
    ["/mnt/\tx", "path: only printable ASCII is supported in paths"],
  ])("rejects %j", async (p, message) => {
    const stderr = await nixEvalError("nixlab.escape.escapePath", p);
    expect(stderr).toContain(message);
  });
});
