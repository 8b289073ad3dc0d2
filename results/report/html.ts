// A self-contained HTML report (inline CSS and SVG, no scripts, no external assets) of one or more
// runs: the runs, a pass/fail matrix of tests × sections/guests, and a duration chart.
import { countStatuses } from "../summary";
import type { RunSummary, TestResult, TestStatus } from "../types";
import { countsText, formatSeconds } from "./text";

/** Text as HTML (also safe inside double-quoted attributes and inline SVG). */
export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}

/** One matrix column: a run's section (or the whole run when it has no sections). */
export interface Column {
  run: RunSummary;
  section?: string;
  label: string;
  tests: Map<string, TestResult>;
}

export function columnsOf(runs: readonly RunSummary[]): Column[] {
  const columns: Column[] = [];
  for (const run of runs) {
    const sections = [...new Set(run.tests.map((t) => t.section))];
    for (const section of sections.length > 0 ? sections : [undefined]) {
      const tests = new Map(run.tests.filter((t) => t.section === section).map((t) => [t.id, t]));
      columns.push({ run, section, label: `${run.guest}${section ? ` · ${section}` : ""}`, tests });
    }
  }
  // Two columns with one label (the same guest and section in two runs): add kernel, then run id.
  const disambiguate = (extra: (c: Column) => string) => {
    const seen = new Map<string, number>();
    for (const c of columns) seen.set(c.label, (seen.get(c.label) ?? 0) + 1);
    for (const c of columns) if ((seen.get(c.label) ?? 0) > 1) c.label += ` · ${extra(c)}`;
  };
  disambiguate((c) => c.run.kernelRelease);
  disambiguate((c) => c.run.runId);
  return columns;
}

const statusText: Record<TestStatus, string> = {
  pass: "pass",
  fail: "FAIL",
  error: "ERROR",
  skip: "skip",
  notrun: "not run",
};

function cell(t: TestResult | undefined): string {
  if (!t) return `<td class="st none">–</td>`;
  const title = t.excerpt ? ` title="${escapeHtml(t.excerpt)}"` : "";
  const time =
    t.durationSeconds !== undefined ? `<small>${escapeHtml(formatSeconds(t.durationSeconds))}</small>` : "";
  return `<td class="st ${t.status}"${title}>${statusText[t.status]}${time}</td>`;
}

function matrix(columns: readonly Column[], ids: readonly string[]): string {
  const head = columns.map((c) => `<th scope="col">${escapeHtml(c.label)}</th>`).join("");
  const rows = ids
    .map(
      (id) =>
        `<tr><th scope="row">${escapeHtml(id)}</th>${columns.map((c) => cell(c.tests.get(id))).join("")}</tr>`,
    )
    .join("\n");
  return `<table class="matrix"><thead><tr><th>test</th>${head}</tr></thead>\n<tbody>\n${rows}\n</tbody></table>`;
}

const palette = ["#3b6fb6", "#e08a1e", "#4a9c5d", "#b5446e", "#7a5cc2", "#2b9aa6", "#8c6d3f", "#5f6b7a"];

/**
 * Horizontal bars, one group per test, one bar per column. With two or more columns the tests whose
 * durations differ most are shown; with one, the longest.
 */
export function durationChart(columns: readonly Column[], limit = 20): string {
  const ids = [...new Set(columns.flatMap((c) => [...c.tests.keys()]))];
  const timed = ids
    .map((id) => ({ id, d: columns.map((c) => c.tests.get(id)?.durationSeconds) }))
    .filter((x) => x.d.some((v) => v !== undefined));
  if (timed.length === 0) return `<p class="note">No test durations were recorded.</p>`;
  const spread = (d: (number | undefined)[]) => {
    const v = d.filter((x): x is number => x !== undefined);
    return columns.length > 1 && v.length > 1 ? Math.max(...v) - Math.min(...v) : Math.max(...v);
  };
  const picked = timed.sort((a, b) => spread(b.d) - spread(a.d) || a.id.localeCompare(b.id)).slice(0, limit);
  const labelW = 200;
  const barW = 560;
  const valueW = 110;
  const bar = 12;
  const groupH = columns.length * (bar + 2) + 10;
  const legendH = 20 * columns.length + 10;
  const height = legendH + picked.length * groupH + 10;
  const width = labelW + barW + valueW;
  const parts: string[] = [];
  columns.forEach((c, i) => {
    const y = 10 + i * 20;
    const colour = palette[i % palette.length];
    parts.push(`<rect x="${labelW}" y="${y}" width="14" height="12" fill="${colour}"/>`);
    parts.push(`<text x="${labelW + 20}" y="${y + 10}">${escapeHtml(c.label)}</text>`);
  });
  picked.forEach((x, g) => {
    const top = legendH + g * groupH;
    parts.push(
      `<text class="label" x="${labelW - 8}" y="${top + groupH / 2}" text-anchor="end">${escapeHtml(x.id)}</text>`,
    );
    x.d.forEach((v, i) => {
      const y = top + i * (bar + 2);
      if (v === undefined) {
        parts.push(`<text class="value" x="${labelW + 4}" y="${y + bar - 2}">no time</text>`);
        return;
      }
      // Each test's bars share their own scale: one long test must not flatten the others.
      const max = Math.max(...x.d.filter((d): d is number => d !== undefined), 0.001);
      const w = Math.max(1, (v / max) * barW);
      const colour = palette[i % palette.length];
      parts.push(
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${bar}" fill="${colour}"><title>${escapeHtml(`${x.id} on ${columns[i]?.label}: ${formatSeconds(v)}`)}</title></rect>`,
      );
      parts.push(
        `<text class="value" x="${(labelW + w + 4).toFixed(1)}" y="${y + bar - 2}">${escapeHtml(formatSeconds(v))}</text>`,
      );
    });
  });
  const what = columns.length > 1 ? "the tests whose durations differ most" : "the longest tests";
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Durations of ${what}">
${parts.join("\n")}
</svg>
<p class="note">${picked.length} of ${timed.length} timed tests: ${what}. Each test's bars are scaled to its longest time.</p>`;
}

const css = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2330; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.note, .meta { color: #5a6270; }
table { border-collapse: collapse; }
th, td { border: 1px solid #d5d9e0; padding: 2px 8px; text-align: left; vertical-align: top; }
thead th { background: #eef1f5; position: sticky; top: 0; }
table.matrix th[scope=row] { font-family: ui-monospace, monospace; font-weight: normal; white-space: nowrap; }
td.st { text-align: center; white-space: nowrap; min-width: 64px; }
td.st small { display: block; color: #5a6270; font-size: 11px; line-height: 1.1; }
td.pass { background: #e3f4e6; } td.fail { background: #f9d6d5; font-weight: bold; }
td.error { background: #f3c1e3; font-weight: bold; } td.skip, td.notrun { background: #f1f1f1; color: #6b7280; }
td.none { color: #9aa1ab; }
td.outcome-timedOut, td.outcome-failed { color: #b42318; font-weight: bold; }
svg.chart text { font: 12px system-ui, sans-serif; fill: #1d2330; }
svg.chart text.label { font-family: ui-monospace, monospace; }
svg.chart text.value { fill: #5a6270; font-size: 11px; }
details { margin-top: 12px; }
`;

export interface HtmlOptions {
  title?: string;
  /** When the report was made (ISO 8601); defaults to now. */
  generatedAt?: string;
}

export function htmlReport(runs: readonly RunSummary[], options: HtmlOptions = {}): string {
  const columns = columnsOf(runs);
  const ids = [...new Set(columns.flatMap((c) => [...c.tests.keys()]))].sort((a, b) =>
    a.localeCompare(b, "en", { numeric: true }),
  );
  // Rows worth a look: a failure somewhere, or a status that differs between the columns that ran
  // the test. A test another guest's suite does not have is not a difference.
  const differing = ids.filter((id) => {
    const statuses = new Set(columns.flatMap((c) => c.tests.get(id)?.status ?? []));
    return statuses.has("fail") || statuses.has("error") || statuses.size > 1;
  });
  const title = options.title ?? "nixlab results";
  const runRows = columns
    .map((c) => {
      const s = c.run;
      const tests = [...c.tests.values()];
      const summary = { ...s, tests, counts: countStatuses(tests) };
      return `<tr><td>${escapeHtml(c.label)}</td><td>${escapeHtml(s.stack)}</td><td>${escapeHtml(s.guest)}</td><td>${escapeHtml(s.kernelRelease)}</td><td>${escapeHtml(s.runId)}</td><td>${escapeHtml(s.suite)}</td><td class="outcome-${s.outcome}">${escapeHtml(s.outcome)}</td><td>${escapeHtml(s.startedAt)}</td><td>${escapeHtml(countsText(summary))}</td></tr>`;
    })
    .join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${runs.length} run(s), ${columns.length} column(s), ${ids.length} test(s); generated ${escapeHtml(options.generatedAt ?? new Date().toISOString())}</p>
<h2>Runs</h2>
<table class="runs"><thead><tr><th>column</th><th>stack</th><th>guest</th><th>kernel</th><th>run</th><th>suite</th><th>outcome</th><th>started</th><th>tests</th></tr></thead>
<tbody>
${runRows}
</tbody></table>
<h2 id="failures">Failures and differences (${differing.length})</h2>
<p class="note">Tests that failed in some column, or whose result differs between the columns that ran them. Hover a cell for its excerpt.</p>
${differing.length > 0 ? matrix(columns, differing) : `<p class="note">No test failed, and every test has the same result in every column that ran it.</p>`}
<h2 id="durations">Durations</h2>
${durationChart(columns)}
<details><summary>All ${ids.length} tests</summary>
${matrix(columns, ids)}
</details>
</body>
</html>
`;
}
