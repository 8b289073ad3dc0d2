// The report builders on real runs (kdevops' tmpfs results on two kernels) and on hostile text:
// JUnit parses back with the right counts; the HTML report has its matrix and chart, escapes what
// it shows and loads nothing from outside.
import { XMLParser } from "fast-xml-parser";
import { parseFstestsDir } from "../../results/parsers/fstests";
import { columnsOf, durationChart, escapeHtml, htmlReport } from "../../results/report/html";
import { junitXml } from "../../results/report/junit";
import { type RunMeta, summarise } from "../../results/summary";
import type { RunSummary } from "../../results/types";
import { fixture } from "./fixtures";

const meta = (kernelRelease: string, runId: string): RunMeta => ({
  suite: "fstests",
  section: "tmpfs_default",
  stack: "lab",
  guest: "tmpfs",
  kernelRelease,
  runId,
  startedAt: "2024-02-01T23:43:58Z",
  finishedAt: "2024-02-02T02:59:37Z",
  outcome: "completed",
});
const old = summarise(meta("6.6.0-rc4", "a"), parseFstestsDir(fixture("fstests/kdevops-tmpfs-6.6.0-rc4")));
const recent = summarise(meta("6.8.0-rc2", "b"), parseFstestsDir(fixture("fstests/kdevops-tmpfs-6.8.0-rc2")));
const hostile: RunSummary = summarise({ ...meta("6.9<b>", "c"), guest: 'x"y', section: undefined }, [
  {
    id: "generic/<script>alert(1)</script>",
    status: "fail",
    excerpt: 'a < b && c > "d"\u001b[31mred\u0000',
    durationSeconds: 3,
  },
  { id: "generic/002", status: "error" },
  { id: "generic/003", status: "notrun", excerpt: "expunged" },
]);

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  isArray: (tag) => ["testsuite", "testcase", "property"].includes(tag),
});
type Suite = {
  name: string;
  tests: string;
  failures: string;
  errors: string;
  skipped: string;
  testcase: Record<string, unknown>[];
};

describe("JUnit", () => {
  const doc = xml.parse(junitXml([old, recent, hostile])) as {
    testsuites: Record<string, string> & { testsuite: Suite[] };
  };

  test("one suite per run and section, counts on every level", () => {
    const suites = doc.testsuites.testsuite;
    expect(suites.map((s) => s.name)).toEqual([
      "lab/tmpfs/6.6.0-rc4/a:tmpfs_default",
      "lab/tmpfs/6.8.0-rc2/b:tmpfs_default",
      'lab/x"y/6.9<b>/c',
    ]);
    expect(suites.map((s) => [s.tests, s.failures, s.errors, s.skipped])).toEqual([
      ["717", "4", "0", "494"],
      ["718", "5", "0", "489"],
      ["3", "1", "1", "1"],
    ]);
    expect(doc.testsuites).toMatchObject({ tests: "1438", failures: "10", errors: "1", skipped: "984" });
  });

  test("failures carry the first line as message and the excerpt as text; control characters are replaced", () => {
    const t732 = doc.testsuites.testsuite[1]?.testcase.find((t) => t.name === "generic/732") as Record<
      string,
      unknown
    >;
    expect(t732).toMatchObject({ classname: "fstests.tmpfs.tmpfs_default", time: "2" });
    expect((t732.failure as Record<string, string>).message).toMatch(
      /^- output mismatch \(see .*generic\/732\.out\.bad\)$/,
    );
    const bad = doc.testsuites.testsuite[2]?.testcase[0] as Record<string, Record<string, string>>;
    expect(bad.failure?.["#text"]).toBe('a < b && c > "d"\uFFFD[31mred\uFFFD');
    expect(doc.testsuites.testsuite[2]?.testcase[1]).toMatchObject({
      error: { message: "error", type: "error" },
    });
    expect(doc.testsuites.testsuite[2]?.testcase[2]).toMatchObject({ skipped: { message: "expunged" } });
  });
});

describe("HTML report", () => {
  const html = htmlReport([old, recent, hostile], {
    title: "tmpfs <6.6> & 6.8",
    generatedAt: "2025-01-01T00:00:00Z",
  });

  test("self-contained: no scripts, no external stylesheets, images or links", () => {
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|\shref=|@import|url\(/i);
    expect(html).toContain("<title>tmpfs &lt;6.6&gt; &amp; 6.8</title>");
  });

  test("the failures matrix: a row per failing or differing test, a column per run section", () => {
    const section =
      /<h2 id="failures">Failures and differences \((\d+)\)<\/h2>[\s\S]*?<table class="matrix">([\s\S]*?)<\/table>/.exec(
        html,
      );
    expect(section?.[1]).toBe("13");
    const table = section?.[2] ?? "";
    const headers = [...table.matchAll(/<th scope="col">([^<]*)<\/th>/g)].map((m) => m[1]);
    expect(headers).toEqual([
      "tmpfs · tmpfs_default · 6.6.0-rc4",
      "tmpfs · tmpfs_default · 6.8.0-rc2",
      "x&quot;y",
    ]);
    const row = (id: string) =>
      new RegExp(`<tr><th scope="row">${id}</th>([\\s\\S]*?)</tr>`).exec(table)?.[1] ?? "";
    expect(row("generic/732")).toMatch(
      /^<td class="st none">–<\/td><td class="st fail" title="- output mismatch [^"]*">FAIL<small>2 s<\/small><\/td><td class="st none">/,
    );
    expect(row("generic/471")).toMatch(
      /^<td class="st skip" title="[^"]*">skip<small>1 s<\/small><\/td><td class="st pass">pass<small>2 s<\/small>/,
    );
    // A test that is skipped in both tmpfs runs and absent elsewhere is no difference.
    expect(table).not.toContain(">generic/008<");
  });

  test("what the runs carry is escaped: ids, guests, kernels, excerpts", () => {
    expect(html).not.toContain("<script>alert");
    expect(html).toContain("generic/&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain('title="a &lt; b &amp;&amp; c &gt; &quot;d&quot;');
    expect(html).toContain("<td>6.9&lt;b&gt;</td>");
  });

  test("the duration chart: one bar per column for the tests whose durations differ most", () => {
    const two = columnsOf([old, recent]);
    const svg = durationChart(two, 5);
    const labels = [...svg.matchAll(/<text class="label"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(labels).toEqual(["generic/449", "generic/416", "generic/707", "generic/204", "generic/256"]);
    // 2 legend swatches + 2 bars for each of the 5 tests.
    expect(svg.match(/<rect /g)).toHaveLength(2 + 10);
    expect(svg).toContain("<title>generic/449 on tmpfs · tmpfs_default · 6.8.0-rc2: 2 h 6 min</title>");
    expect(durationChart(columnsOf([hostile]))).toContain("generic/&lt;script&gt;");
    expect(escapeHtml(`<a href='x'>&</a>`)).toBe("&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
  });
});
