// nix/packages and the overlay: the recipes called with stand-ins for their nixpkgs arguments
// (no nixpkgs here), so their attributes can be compared, and their shell phases run by bash on
// the source layouts they must handle.
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { nixEval, run } from "./nix-eval";

// Stand-ins for the arguments the recipes take: each builder returns its attribute set.
const fakeArgs = `
  lib = {
    licenses = { gpl2Only = "gpl2Only"; gpl2Plus = "gpl2Plus"; lgpl21Only = "lgpl21Only"; bsd2 = "bsd2"; };
    platforms.linux = [ "linux" ];
  };
  python3Packages = {
    buildPythonApplication = attrs: attrs;
    fetchPypi = attrs: { fetchPypi = attrs; };
    setuptools = "setuptools";
    wheel = "wheel";
  };
  stdenv.mkDerivation = attrs: attrs;
  fetchFromGitHub = attrs: attrs // { name = "source"; };
  llvmPackages = { clang = "clang"; llvm = "llvm"; };
  elfutils = "elfutils";
  zlib = "zlib";
  openssl = "openssl";
  libcap = "libcap";
  pkg-config = "pkg-config";
  linuxPackages_latest.cpupower.overrideAttrs = change: { overriddenWith = change; };
`;

// Calls nix/packages/<file> with the stand-ins (only the arguments it asks for).
const callRecipe = (file: string, select: string): Promise<unknown> =>
  nixEval(
    `file: let args = { ${fakeArgs} }; f = import (nixDir + "/packages/\${file}"); in (f (builtins.intersectAttrs (builtins.functionArgs f) args))${select}`,
    file,
  );

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "nixlab-packages-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function files(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const rel = path.relative(root, p);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(p)}`);
      else if (st.isDirectory()) walk(p);
      else out.push(rel);
    }
  };
  walk(root);
  return out;
}

function tree(root: string, entries: string[]): void {
  for (const e of entries) {
    mkdirSync(path.dirname(path.join(root, e)), { recursive: true });
    writeFileSync(path.join(root, e), "");
  }
}

describe("damo", () => {
  test("PyPI sdist, setuptools and wheel (pyproject.toml's build requirements)", async () => {
    expect(await callRecipe("damo.nix", "")).toMatchObject({
      pname: "damo",
      version: "3.4.3",
      pyproject: true,
      src: { fetchPypi: { pname: "damo", version: "3.4.3" } },
      "build-system": ["setuptools", "wheel"],
    });
  });

  const postPatch = async (src: string) => {
    const script = (await callRecipe("damo.nix", ".postPatch")) as string;
    return run("bash", ["-e", "-c", script], { cwd: src });
  };

  test("an sdist is left as it is", async () => {
    tree(dir, ["pyproject.toml", "setup.py", "README.md", "src/damo/__init__.py", "src/damo/damo.py"]);
    expect(await postPatch(dir)).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(files(dir)).toEqual([
      "README.md",
      "pyproject.toml",
      "setup.py",
      "src/damo/__init__.py",
      "src/damo/damo.py",
    ]);
  });

  test("a GitHub checkout (flat src/, packaging/) is laid out as the sdist", async () => {
    // As github.com/damonitor/damo has it: a pyproject.toml of tool settings at the top.
    tree(dir, [
      "README.md",
      "pyproject.toml",
      "damo",
      "packaging/pyproject.toml",
      "packaging/setup.py",
      "src/damo.py",
      "src/_damon.py",
      "src/damo_version.py",
    ]);
    expect(await postPatch(dir)).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(files(dir)).toEqual([
      "README.md",
      "damo",
      "packaging/pyproject.toml",
      "packaging/setup.py",
      "pyproject.toml",
      "setup.py",
      "src/damo/__init__.py",
      "src/damo/_damon.py",
      "src/damo/damo.py",
      "src/damo/damo_version.py",
    ]);
  });

  test("anything else fails, saying what was expected", async () => {
    tree(dir, ["src/damo.py"]);
    expect(await postPatch(dir)).toEqual({
      code: 1,
      stdout: "",
      stderr: "damo: the source is neither an sdist (src/damo/) nor a checkout (packaging/setup.py)\n",
    });
  });
});

describe("libbpf-tools", () => {
  test("the vendored bpftool's libcrypto and libcap next to libelf and zlib", async () => {
    expect(await callRecipe("libbpf-tools.nix", "")).toMatchObject({
      sourceRoot: "source/libbpf-tools",
      buildInputs: ["elfutils", "zlib", "openssl", "libcap"],
      nativeBuildInputs: ["clang", "llvm", "pkg-config"],
      makeFlags: expect.arrayContaining(["USE_BLAZESYM=0"]),
    });
  });

  test("binaries get the -libbpf suffix; aliases point at the renamed tool", async () => {
    const out = path.join(dir, "out");
    tree(out, ["bin/biolatency", "bin/fsdist", "bin/fsslower"]);
    symlinkSync("fsdist", path.join(out, "bin", "btrfsdist"));
    symlinkSync("fsslower", path.join(out, "bin", "ext4slower"));
    const script = (await callRecipe("libbpf-tools.nix", ".postInstall")) as string;
    expect(await run("bash", ["-e", "-c", script], { env: { ...process.env, out } })).toEqual({
      code: 0,
      stdout: "",
      stderr: "",
    });
    expect(files(out)).toEqual([
      "bin/biolatency-libbpf",
      "bin/btrfsdist-libbpf -> fsdist-libbpf",
      "bin/ext4slower-libbpf -> fsslower-libbpf",
      "bin/fsdist-libbpf",
      "bin/fsslower-libbpf",
    ]);
  });
});

describe("cpupower and kirk", () => {
  test("cpupower: linuxPackages_latest's recipe without the kernel's patches (any kernel tree builds)", async () => {
    expect(await callRecipe("cpupower.nix", "")).toEqual({ overriddenWith: { patches: [] } });
  });

  test("kirk: the PyPI sdist whose hash was computed here, setuptools, the kirk program", async () => {
    expect(await callRecipe("kirk.nix", "")).toMatchObject({
      pname: "kirk",
      version: "4.2.0",
      src: {
        fetchPypi: {
          pname: "kirk",
          version: "4.2.0",
          hash: "sha256-kgB/hAoqCvOHtvDYj1H1xxCFMjj/O9nSuRo09zFznAY=",
        },
      },
      "build-system": ["setuptools"],
      pythonImportsCheck: ["libkirk"],
      meta: { mainProgram: "kirk" },
    });
  });
});

describe("overlays.default", () => {
  test("adds nixlab's packages (a top-level cpupower among them) and changes fio and xfstests", async () => {
    const names = await nixEval<string[]>(
      `_: builtins.attrNames ((import (nixDir + "/overlays")) { callPackage = p: _: builtins.baseNameOf p; } { })`,
    );
    expect(names).toEqual([
      "cpupower",
      "damo",
      "fio",
      "kirk",
      "libbpf-tools",
      "nfstest",
      "nixlab-kernel",
      "pynfs",
      "xfstests",
      "xnvme",
    ]);
  });
});
