// The stack's settings for running the guests' suites (`suiteRun` in `nixlab:lab`): whether Lab
// runs them at all, what makes a run happen again, its time limits, where results go and what
// they are compared with. The SSH key for the runs is a secret of its own, `nixlab:sshPrivateKey`.
import * as z from "zod";

const seconds = z
  .number()
  .int()
  .min(1, "must be at least 1 (seconds)")
  .max(7 * 24 * 3600, "must be at most a week");
const testIds = z.array(z.string().regex(/^[\w.+:/-]+$/, "must be a test id such as generic/001"));

/** Known failures: a file or kdevops-style folder (all.txt + <section>.txt), or lists. */
export const baselineConfig = z.union(
  [
    z.object({ path: z.string().min(1, "must name a file or folder") }).strict(),
    z.object({ entries: testIds }).strict(),
    z
      .object({
        all: testIds.default([]),
        sections: z.record(z.string().regex(/^[A-Za-z0-9_.+-]+$/, "must be a section name"), testIds),
      })
      .strict(),
  ],
  { error: "must be one of { path }, { entries: [...] } or { all: [...], sections: { <section>: [...] } }" },
);
export type BaselineConfig = z.output<typeof baselineConfig>;

export const suiteRunConfig = z
  .object({
    /** false: Lab runs no suites in this stack (the guests still get what their suite needs). */
    enabled: z.boolean().default(true),
    /** Change it (e.g. "2") to run the suites again when nothing else changed. */
    runId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'must be 1-40 letters, digits, . _ - (e.g. "2")')
      .default("1"),
    /** The whole run; then what exists is collected and the run is recorded as timed out. */
    runTimeoutSeconds: seconds.default(6 * 3600),
    /** The longest the runner may go without printing a line (a finished test). */
    testTimeoutSeconds: seconds.default(3600),
    /** report: regressions are outputs; fail: regressions (or a run that did not complete) fail `up`. */
    policy: z.enum(["report", "fail"]).default("report"),
    baseline: baselineConfig.optional(),
    /** The results archive; relative paths are taken from the project folder. */
    archive: z.string().min(1).default("./results"),
  })
  .strict()
  .superRefine((c, ctx) => {
    // (Only when the run's limit is itself valid: zod reports that one already.)
    if (c.runTimeoutSeconds >= 1 && c.testTimeoutSeconds > c.runTimeoutSeconds)
      ctx.addIssue({
        code: "custom",
        path: ["testTimeoutSeconds"],
        message: `must not exceed runTimeoutSeconds (${c.runTimeoutSeconds})`,
      });
  });
export type SuiteRunConfig = z.output<typeof suiteRunConfig>;

export const suiteRunDefaults: SuiteRunConfig = suiteRunConfig.parse({});
