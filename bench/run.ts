// `npm run bench`: every benchmark in this folder, one after another, each printing its figures.
// BENCH=name,name runs a subset.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import * as path from "node:path";

const only = process.env.BENCH?.split(",").filter(Boolean);
const benches = readdirSync(__dirname)
  .filter((f) => f.endsWith(".js") && f !== "run.js")
  .map((f) => f.replace(/\.js$/, ""))
  .filter((name) => !only || only.includes(name))
  .sort();
let failed = 0;
for (const name of benches) {
  console.log(`\n=== ${name}`);
  const r = spawnSync(process.execPath, [path.join(__dirname, `${name}.js`)], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
