// Per-property diffs for the engine. The Node.js provider server of @pulumi/pulumi (3.248) answers a
// Diff call with changes, replaces and deleteBeforeReplace only, and the engine then shows its own
// diff of the old and new inputs. Here the provider's Diff also says which properties changed
// (`diffs`) and how each one changes (the detailed diff: update or replace, add or delete), so the
// preview shows what the provider compared (paths into objects, no equivalent-input noise) and
// `pulumi preview --json` names the properties that force a replacement.
import * as grpc from "@grpc/grpc-js";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import type * as provider from "@pulumi/pulumi/provider";
import { type Diff, same } from "./resource";

export type PropertyDiffKind =
  | "add"
  | "add-replace"
  | "delete"
  | "delete-replace"
  | "update"
  | "update-replace";

export interface DetailedDiffResult extends provider.DiffResult {
  /** Top-level properties that change. */
  readonly diffs: string[];
  /** Property path (disks[1].size, boot.kernel) → how it changes. Old values are the old state's. */
  readonly detailedDiff: Record<string, PropertyDiffKind>;
}

type Path = (string | number)[];

/** "disks[1].size" → ["disks", 1, "size"] */
export function parsePath(path: string): Path {
  const out: Path = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g))
    out.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string));
  return out;
}

const formatPath = (path: Path): string =>
  path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");

function at(value: unknown, path: Path): unknown {
  let cur = value;
  for (const p of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The paths below `path` at which `a` and `b` differ: into objects, and into lists of one length. */
function changedLeaves(path: Path, a: unknown, b: unknown): Path[] {
  if (same(a, b)) return [];
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => changedLeaves([...path, k], a[k], b[k]));
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length)
    return a.flatMap((x, i) => changedLeaves([...path, i], x, b[i]));
  return [path];
}

/**
 * A resource's Diff as the engine takes it. Each property the diff names becomes the paths at which
 * the old state and the new inputs differ; a property whose values are equal (a replacement for an
 * object that is gone) stays in `replaces` without a line in the preview.
 */
export function toDiffResult(
  d: Diff,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  deleteBeforeReplace: boolean,
): DetailedDiffResult {
  const detailedDiff: Record<string, PropertyDiffKind> = {};
  const add = (entries: readonly string[], replace: boolean) => {
    for (const entry of entries) {
      const base = parsePath(entry);
      for (const leaf of changedLeaves(base, at(olds, base), at(news, base))) {
        const before = at(olds, leaf);
        const after = at(news, leaf);
        const kind = before === undefined ? "add" : after === undefined ? "delete" : "update";
        detailedDiff[formatPath(leaf)] = replace ? `${kind}-replace` : kind;
      }
    }
  };
  add(d.updates ?? [], false);
  add(d.replaces, true);
  const top = (paths: Iterable<string>) => [...new Set([...paths].map((p) => String(parsePath(p)[0])))];
  return {
    changes: d.changes,
    replaces: top(d.replaces),
    diffs: top([...(d.updates ?? []), ...d.replaces]),
    detailedDiff,
    deleteBeforeReplace: d.deleteBeforeReplace ?? deleteBeforeReplace,
  };
}

const kinds: Record<PropertyDiffKind, provproto.PropertyDiff.Kind> = {
  add: provproto.PropertyDiff.Kind.ADD,
  "add-replace": provproto.PropertyDiff.Kind.ADD_REPLACE,
  delete: provproto.PropertyDiff.Kind.DELETE,
  "delete-replace": provproto.PropertyDiff.Kind.DELETE_REPLACE,
  update: provproto.PropertyDiff.Kind.UPDATE,
  "update-replace": provproto.PropertyDiff.Kind.UPDATE_REPLACE,
};

/** The gRPC DiffResponse of a DetailedDiffResult. */
export function diffResponse(r: DetailedDiffResult): provproto.DiffResponse {
  const resp = new provproto.DiffResponse();
  resp.setChanges(
    r.changes === true
      ? provproto.DiffResponse.DiffChanges.DIFF_SOME
      : r.changes === false
        ? provproto.DiffResponse.DiffChanges.DIFF_NONE
        : provproto.DiffResponse.DiffChanges.DIFF_UNKNOWN,
  );
  resp.setReplacesList(r.replaces ?? []);
  resp.setDiffsList(r.diffs);
  resp.setDeletebeforereplace(r.deleteBeforeReplace ?? false);
  resp.setHasdetaileddiff(true);
  const map = resp.getDetaileddiffMap();
  for (const [path, kind] of Object.entries(r.detailedDiff)) {
    const pd = new provproto.PropertyDiff();
    pd.setKind(kinds[kind]);
    // The provider compares the old *state* with the new inputs: old values come from the outputs.
    pd.setInputdiff(false);
    map.set(path, pd);
  }
  return resp;
}

interface DiffingProvider {
  diff(id: string, urn: string, olds: unknown, news: unknown): Promise<DetailedDiffResult>;
}

interface DiffCall {
  request: {
    getId(): string;
    getUrn(): string;
    getOlds(): { toJavaScript(): unknown } | undefined;
    getNews(): { toJavaScript(): unknown } | undefined;
  };
}

/**
 * Make the provider server that `provider.main` starts answer Diff with `diffResponse`. The server
 * is built inside @pulumi/pulumi without a hook, so its one registration of the ResourceProvider
 * service is intercepted; every other call stays the SDK's.
 */
export function answerDiffsInDetail(p: DiffingProvider): void {
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service, implementation) {
    if (service !== provrpc.ResourceProviderService) return addService.call(this, service, implementation);
    grpc.Server.prototype.addService = addService;
    const impl = Object.create(implementation) as grpc.UntypedServiceImplementation;
    impl.diff = (call: DiffCall, callback: grpc.sendUnaryData<provproto.DiffResponse>) => {
      const r = call.request;
      p.diff(
        r.getId(),
        r.getUrn(),
        r.getOlds()?.toJavaScript() ?? {},
        r.getNews()?.toJavaScript() ?? {},
      ).then(
        (result) => callback(null, diffResponse(result)),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    };
    return addService.call(this, service, impl);
  };
}
