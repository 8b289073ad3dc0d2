// zod validation for component and stack configuration: every problem at once, each with its
// key path, thrown before any resource is registered.
import * as pulumi from "@pulumi/pulumi";
import type * as z from "zod";

/**
 * A RunError: Pulumi's Node.js runtime prints a RunError's message alone (no stack trace, no
 * "unhandled exception" banner) and the language host adds nothing, so the user sees the list.
 */
export class ConfigError extends pulumi.RunError {
  constructor(
    readonly where: string,
    readonly problems: string[],
  ) {
    super(`invalid ${where}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function issuePath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(p))) out += out ? `.${String(p)}` : String(p);
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}

/** An issue's message; for a record key, what is wrong with the key (zod only says "Invalid key in record"). */
export function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_key") return issue.issues.map((i) => i.message).join("; ");
  return issue.message;
}

export function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ConfigError(
    where,
    r.error.issues.map((i) => `${issuePath(where, i.path)}: ${issueMessage(i)}`),
  );
}
