// nixlab:nix:Copy — copies a store path's closure to another Nix store: a host over SSH
// (ssh-ng://user@host, ssh://) or a binary cache (file:///…). Idempotent: nix copies only
// what the destination lacks. Delete leaves the paths there (the destination's GC owns them).
import * as z from "zod";
import { runChecked } from "../exec";
import { type SshConnection, sshConnection, sshOptions, withSshMaterial } from "../host/ssh";
import type { Context, ResourceDefinition } from "../resource";
import { declaredDiff, declareResource, type StateOf } from "../schema/declare";
import { copyArgs, pathInfoArgs } from "./commands";
import { isInvalidPath, parsePathInfo } from "./path-info";
import { storePath } from "./store-path";

const sshSettings = sshConnection.omit({ host: true, user: true }).meta({ typeName: "SshSettings" });

export const copyInputs = z
  .object({
    storePath: storePath.meta({ description: "The store path whose closure is copied." }),
    to: z
      .string()
      .regex(
        /^(ssh|ssh-ng):\/\/[^\s/]+(\?\S*)?$|^file:\/\/\/\S+$|^s3:\/\/\S+$/,
        "must be ssh-ng://[user@]host, ssh://[user@]host, file:///dir or s3://bucket",
      )
      .meta({
        description:
          "Destination store: `ssh-ng://user@host` (with `?remote-store=…` for another store there), `ssh://user@host`, `file:///dir`, `s3://bucket`.",
      }),
    ssh: sshSettings.default(sshSettings.parse({})).meta({
      description: "SSH settings for ssh:// and ssh-ng:// destinations (they reach nix as NIX_SSHOPTS).",
      secret: true,
    }),
    checkSigs: z
      .boolean()
      .default(false)
      .meta({ description: "Require signatures on the destination (off: local builds are unsigned)." }),
  })
  .strict();
export type CopyInputs = z.infer<typeof copyInputs>;

export const copyDeclaration = declareResource({
  token: "nixlab:nix:Copy",
  description:
    "Copies a store path's closure to another Nix store: a host over SSH or a binary cache. Delete leaves the paths there.",
  inputs: copyInputs,
  outputs: z.object({
    closurePaths: z.number().meta({ description: "Number of store paths in the copied closure." }),
    closureNarSize: z.number().meta({ description: "Sum of the closure's NAR sizes, in bytes." }),
  }),
});

export type CopyState = StateOf<typeof copyDeclaration>;

/** The SSH connection a store URI means, or undefined for non-SSH stores. */
export function sshTarget(to: string, ssh: CopyInputs["ssh"]): SshConnection | undefined {
  const m = /^(ssh|ssh-ng):\/\/(?:([^@/?]+)@)?([^/?]+)/.exec(to);
  if (!m?.[3]) return undefined;
  return { ...ssh, host: m[3], user: m[2] ?? "root" };
}

/** Run a nix command against the destination with the SSH options in NIX_SSHOPTS. */
async function withStore<T>(i: CopyInputs, fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const conn = sshTarget(i.to, i.ssh);
  if (!conn) return fn({});
  return withSshMaterial(conn, (m) => {
    // nix splits NIX_SSHOPTS on white space; the schema keeps paths free of it. The port is an
    // ssh option because store URIs do not carry one.
    return fn({ NIX_SSHOPTS: sshOptions(conn, m).join(" ") });
  });
}

async function copy(ctx: Context, i: CopyInputs): Promise<CopyState> {
  const r = await ctx.run("nix", pathInfoArgs([i.storePath], { recursive: true }));
  const closure = r.exitCode === 0 ? parsePathInfo(r.stdout) : [];
  if (closure.length === 0 || closure.some((p) => !p.valid)) {
    throw new Error(`storePath ${i.storePath} is not a valid path in the local store (build it first)`);
  }
  const size = closure.reduce((n, p) => n + (p.narSize ?? 0), 0);
  ctx.log.status(`copying ${closure.length} paths (${(size / 1048576).toFixed(1)} MiB) to ${i.to}`);
  await withStore(i, (env) =>
    runChecked(ctx.run, "nix", copyArgs(i.storePath, i.to, { checkSigs: i.checkSigs }), { env }),
  );
  return {
    storePath: i.storePath,
    to: i.to,
    ssh: i.ssh,
    checkSigs: i.checkSigs,
    closurePaths: closure.length,
    closureNarSize: size,
  };
}

export const copyResource: ResourceDefinition<CopyInputs, CopyState> = {
  declaration: copyDeclaration,

  async diff(_ctx, _id, olds, news) {
    return declaredDiff(copyDeclaration, olds, news);
  },

  async create(ctx, news) {
    const state = await copy(ctx, news);
    return { id: `${news.to}|${news.storePath}`, state };
  },

  async read(ctx, id, state) {
    const i = copyInputs.parse({
      storePath: state.storePath,
      to: state.to,
      ssh: state.ssh,
      checkSigs: state.checkSigs,
    });
    const r = await withStore(i, (env) =>
      ctx.run("nix", pathInfoArgs([i.storePath], { store: i.to }), { env }),
    );
    if (r.exitCode !== 0 && !isInvalidPath(r.stderr))
      // Could not look (host down, ssh refused): keep the resource; the error says why.
      throw new Error(
        `could not check ${i.storePath} on ${i.to}:\n${r.stderr.trim().split("\n").slice(-10).join("\n")}`,
      );
    const info = r.exitCode === 0 ? parsePathInfo(r.stdout)[0] : undefined;
    // Gone from the destination (collected there, or a fresh host): the copy has to be redone.
    return info?.valid ? { id, state } : null;
  },

  async update(ctx, _id, _olds, news) {
    return copy(ctx, news);
  },

  async delete() {
    // Nothing to undo: the destination's garbage collector decides when the paths go.
  },
};
