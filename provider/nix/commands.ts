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

/** Builds with machine-readable progress on stderr and a GC root at `outLink`. */
export function buildArgs(t: FlakeTarget, outLink: string): string[] {
  return [
    "build",
    "--json",
    "--log-format",
    "internal-json",
    "--out-link",
    outLink,
    ...commonArgs(t),
    buildInstallable(t),
  ];
}

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
