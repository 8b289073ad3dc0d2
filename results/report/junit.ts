// Runs as one JUnit XML document for CI systems (GitLab, Jenkins, GitHub test reporters): a
// <testsuite> per run and section, a <testcase> per test.
import { XMLBuilder } from "fast-xml-parser";
import type { RunSummary, TestResult } from "../types";

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  textNodeName: "#text",
  format: true,
  indentBy: "  ",
  suppressEmptyNode: true,
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 cannot carry these even escaped
const notXml = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Test output can hold terminal escapes and NULs: XML cannot carry them, so they become U+FFFD. */
const clean = (s: string) => s.replace(notXml, "\uFFFD");

type Node = Record<string, unknown>;

function testcase(s: RunSummary, t: TestResult): Node {
  const node: Node = {
    "@_classname": [s.suite, s.guest, t.section].filter((p) => p).join("."),
    "@_name": clean(t.id),
  };
  if (t.durationSeconds !== undefined) node["@_time"] = t.durationSeconds.toString();
  const detail = t.excerpt !== undefined ? clean(t.excerpt) : undefined;
  const message = detail?.split("\n")[0];
  const text = detail !== undefined ? { "#text": detail } : {};
  switch (t.status) {
    case "fail":
      node.failure = { "@_message": message ?? "failed", "@_type": "fail", ...text };
      break;
    case "error":
      node.error = { "@_message": message ?? "error", "@_type": "error", ...text };
      break;
    case "skip":
    case "notrun":
      node.skipped = { "@_message": message ?? t.status };
      break;
  }
  return node;
}

function sum(tests: readonly TestResult[]): number {
  return tests.reduce((n, t) => n + (t.durationSeconds ?? 0), 0);
}

function counts(tests: readonly TestResult[]) {
  return {
    "@_tests": String(tests.length),
    "@_failures": String(tests.filter((t) => t.status === "fail").length),
    "@_errors": String(tests.filter((t) => t.status === "error").length),
    "@_skipped": String(tests.filter((t) => t.status === "skip" || t.status === "notrun").length),
    "@_time": sum(tests).toFixed(3),
  };
}

/** One document with every run; a run's sections are separate suites. */
export function junitXml(runs: readonly RunSummary[]): string {
  const suites: Node[] = [];
  for (const s of runs) {
    const sections = [...new Set(s.tests.map((t) => t.section))];
    for (const section of sections.length > 0 ? sections : [undefined]) {
      const tests = s.tests.filter((t) => t.section === section);
      const props: [string, string | undefined][] = [
        ["stack", s.stack],
        ["guest", s.guest],
        ["kernelRelease", s.kernelRelease],
        ["runId", s.runId],
        ["suite", s.suite],
        ["section", section],
        ["outcome", s.outcome],
        ["finishedAt", s.finishedAt],
      ];
      suites.push({
        "@_name": clean(`${s.stack}/${s.guest}/${s.kernelRelease}/${s.runId}${section ? `:${section}` : ""}`),
        ...counts(tests),
        "@_timestamp": s.startedAt,
        "@_hostname": clean(s.guest),
        properties: {
          property: props
            .filter(([, v]) => v !== undefined)
            .map(([name, value]) => ({ "@_name": name, "@_value": clean(value ?? "") })),
        },
        testcase: tests.map((t) => testcase(s, t)),
      });
    }
  }
  const all = runs.flatMap((r) => r.tests);
  const doc = {
    "?xml": { "@_version": "1.0", "@_encoding": "UTF-8" },
    testsuites: { "@_name": "nixlab", ...counts(all), testsuite: suites },
  };
  return builder.build(doc) as string;
}
