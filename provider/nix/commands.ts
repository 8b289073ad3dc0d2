// Command lines for nix, as argument arrays. Pure: tested directly.

export interface FlakeTarget {
  /** A flake reference (path:/…, git+file:…, github:…) or an absolute path. */
  flake: string;
  /** Attribute path inside the flake, e.g. nixosConfigurations.vm.config.system.build.toplevel */
  attribute: string;
  /** Input name → flake reference, as `--override-input`. */
  overrideInputs: Record<string, string>;
  /** Extra arguments for nix (options such as --option k v, --impure). */
  extraArgs: string[];
  /** nix's `system` setting: the platform to build for. */
  system?: string | undefined;
  /** Outputs to build (["*"] for all); default: the derivation's default outputs. */
  outputs?: string[] | undefined;
}

export const installable = (t: FlakeTarget, suffix = ""): string => `${t.flake}#${t.attribute}${suffix}`;

/** The installable to build, with the ^outputs selector when outputs are chosen. */
const buildInstallable = (t: FlakeTarget): string =>
  t.outputs && t.outputs.length > 0 ? `${installable(t)}^${t.outputs.join(",")}` : installable(t);

function commonArgs(t: FlakeTarget): string[] {
  const args: string[] = [];
  for (const [name, ref] of Object.entries(t.overrideInputs).sort(([a], [b]) => a.localeCompare(b))) {
    args.push("--override-input", name, ref);
  }
  if (t.system) args.push("--system", t.system);
  return [...args, ...t.extraArgs];
}

/** Evaluates the derivation path only: cheap, and no build starts. */
export function evalDrvPathArgs(t: FlakeTarget): string[] {
  return ["eval", "--raw", ...commonArgs(t), installable(t, ".drvPath")];
}

/**
 * The segments of an attribute path as Nix's command line reads it: dots separate, and a quoted
 * segment ("a.b") is taken literally, without escapes.
 */
export function attrPathSegments(attribute: string): string[] {
  const segments: string[] = [];
  let cur = "";
  for (let i = 0; i < attribute.length; i++) {
    const c = attribute[i];
    if (c === ".") {
      segments.push(cur);
      cur = "";
    } else if (c === '"') {
      const end = attribute.indexOf('"', i + 1);
      if (end < 0) throw new Error(`unterminated quote in attribute path ${attribute}`);
      cur += attribute.slice(i + 1, end);
      i = end;
    } else {
      cur += c;
    }
  }
  segments.push(cur);
  return segments;
}

/** A Nix string literal holding `s` (no interpolation: `$`, `"` and `\` are escaped). */
export const nixString = (s: string): string => `"${s.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;

/**
 * Evaluates the derivation paths of several attributes of one flake in one evaluator: one `nix
 * eval --json` of the flake's outputs with a function that looks each attribute up and returns
 * what was asked, in order. Each attribute is looked up the way `nix eval FLAKE#ATTR` does: first
 * under packages.<system>., then legacyPackages.<system>., then as given (`system` is the
 * platform nix evaluates for, which the default prefixes use). The paths travel as a JSON string
 * literal, never as Nix syntax. With `outputs`, each entry also carries the outputs `nix build
 * FLAKE#ATTR` builds by default: outputName when outputSpecified, else meta.outputsToInstall,
 * else out.
 */
export function evalDrvPathsArgs(
  t: Omit<FlakeTarget, "attribute">,
  attributes: string[],
  system: string,
  opts: { outputs?: boolean } = {},
): string[] {
  const paths = attributes.map((a) => attrPathSegments(a));
  const fn = [
    "outputs:",
    "let",
    `  system = ${nixString(system)};`,
    `  paths = builtins.fromJSON ${nixString(JSON.stringify(paths))};`,
    "  lookup = v: path:",
    "    if path == [ ] then { found = true; value = v; }",
    "    else if builtins.isAttrs v && builtins.hasAttr (builtins.head path) v",
    "    then lookup (builtins.getAttr (builtins.head path) v) (builtins.tail path)",
    "    else { found = false; };",
    "  first = candidates:",
    '    if candidates == [ ] then throw "nixlab: attribute not found"',
    "    else let r = lookup outputs (builtins.head candidates);",
    "    in if r.found then r.value else first (builtins.tail candidates);",
    '  resolve = path: first [ ([ "packages" system ] ++ path) ([ "legacyPackages" system ] ++ path) path ];',
    "  installed = d:",
    "    let named =",
    "      if d ? outputSpecified then (if d.outputSpecified && d ? outputName then [ d.outputName ] else [ ])",
    "      else if d ? meta && d.meta ? outputsToInstall then d.meta.outputsToInstall",
    "      else [ ];",
    '    in if named == [ ] then [ "out" ] else named;',
    opts.outputs
      ? "in map (path: let d = resolve path; in { drvPath = d.drvPath; outputs = installed d; }) paths"
      : '  drvPathOf = path: resolve (path ++ [ "drvPath" ]);\nin map drvPathOf paths',
  ].join("\n");
  return ["eval", "--json", ...commonArgs({ ...t, attribute: "" }), `${t.flake}#.`, "--apply", fn];
}

/** The platform nix evaluates for by default (its `system` setting): the default-prefix system. */
export function currentSystemArgs(t: Pick<FlakeTarget, "system" | "extraArgs">): string[] {
  return [
    "eval",
    "--impure",
    "--raw",
    ...(t.system ? ["--system", t.system] : []),
    ...systemOptions(t.extraArgs),
    "--expr",
    "builtins.currentSystem",
  ];
}

/** `--system X` and `--option system X` among extra arguments (they change the default prefix). */
function systemOptions(extraArgs: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < extraArgs.length; i++) {
    if (extraArgs[i] === "--system" && extraArgs[i + 1] !== undefined)
      out.push("--system", extraArgs[i + 1] as string);
    if (extraArgs[i] === "--option" && extraArgs[i + 1] === "system" && extraArgs[i + 2] !== undefined)
      out.push("--option", "system", extraArgs[i + 2] as string);
  }
  return out;
}

const drvRe = /^\/nix\/store\/[^/]+\.drv$/;

/** The drvPaths of a batched evaluation, checked to be one store derivation per attribute. */
export function parseDrvPaths(stdout: string, count: number): string[] {
  const parsed: unknown = JSON.parse(stdout);
  if (
    !Array.isArray(parsed) ||
    parsed.length !== count ||
    !parsed.every((p) => typeof p === "string" && drvRe.test(p))
  )
    throw new Error(`unexpected output of the batched nix eval: ${stdout.slice(0, 300)}`);
  return parsed as string[];
}

/** What to build for one attribute: its derivation and the outputs nix builds by default. */
export interface BuildTarget {
  drvPath: string;
  outputs: string[];
}

/** The entries of a batched evaluation with outputs (outputs sorted and unique, as nix keeps them). */
export function parseBuildTargets(stdout: string, count: number): BuildTarget[] {
  const parsed: unknown = JSON.parse(stdout);
  const ok = (e: unknown): e is BuildTarget =>
    typeof e === "object" &&
    e !== null &&
    typeof (e as BuildTarget).drvPath === "string" &&
    drvRe.test((e as BuildTarget).drvPath) &&
    Array.isArray((e as BuildTarget).outputs) &&
    (e as BuildTarget).outputs.every((o) => typeof o === "string" && /^[A-Za-z0-9_-]+$/.test(o));
  if (!Array.isArray(parsed) || parsed.length !== count || !parsed.every(ok))
    throw new Error(`unexpected output of the batched nix eval: ${stdout.slice(0, 300)}`);
  return parsed.map((e) => ({ drvPath: e.drvPath, outputs: [...new Set(e.outputs)].sort() }));
}

/** `nix build` of one installable with machine-readable progress on stderr and a GC root at `outLink`. */
const buildOf = (t: FlakeTarget, outLink: string, what: string): string[] => [
  "build",
  "--json",
  "--log-format",
  "internal-json",
  "--out-link",
  outLink,
  ...commonArgs(t),
  what,
];

/** Builds a derivation already evaluated: `DRV^outputs`, with progress and a GC root as buildArgs. */
export const buildDrvArgs = (t: FlakeTarget, drvPath: string, outputs: string[], outLink: string): string[] =>
  buildOf(t, outLink, `${drvPath}^${outputs.join(",")}`);

/** Builds with machine-readable progress on stderr and a GC root at `outLink`. */
export const buildArgs = (t: FlakeTarget, outLink: string): string[] =>
  buildOf(t, outLink, buildInstallable(t));

export function pathInfoArgs(
  paths: string[],
  opts: { closureSize?: boolean; recursive?: boolean; store?: string } = {},
): string[] {
  return [
    "path-info",
    "--json",
    ...(opts.closureSize ? ["--closure-size"] : []),
    ...(opts.recursive ? ["--recursive"] : []),
    ...(opts.store ? ["--store", opts.store] : []),
    ...paths,
  ];
}

export function copyArgs(storePath: string, to: string, opts: { checkSigs: boolean }): string[] {
  return ["copy", "--to", to, ...(opts.checkSigs ? [] : ["--no-check-sigs"]), storePath];
}

/** The `nix build --json` result: one entry per installable. */
export interface BuildResult {
  drvPath: string;
  outputs: Record<string, string>;
}

export function parseBuildJson(stdout: string): BuildResult {
  const parsed: unknown = JSON.parse(stdout);
  const first = Array.isArray(parsed) ? (parsed[0] as Partial<BuildResult> | undefined) : undefined;
  if (!first?.drvPath || !first.outputs)
    throw new Error(`unexpected nix build --json output: ${stdout.slice(0, 300)}`);
  return { drvPath: first.drvPath, outputs: first.outputs };
}

/** The links `nix build --out-link BASE` makes for one installable: BASE for `out`, BASE-<name> for others. */
export function outLinks(base: string, outputNames: string[]): Record<string, string> {
  const links: Record<string, string> = {};
  for (const name of outputNames) links[name] = name === "out" ? base : `${base}-${name}`;
  return links;
}
