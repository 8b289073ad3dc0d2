// `npm run gen`: write the property tables of the provider's READMEs from the declarations.
// `--check` writes nothing and exits 1 when a table is not current.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { definitions } from "../registry";
import { readmes, renderReadme } from "./docs";

/** The repository root: the first folder up from here that holds package.json. */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("no package.json above the generator");
    dir = up;
  }
  return dir;
}

const check = process.argv.includes("--check");
const declarations = definitions.map((d) => d.declaration);
let stale = 0;
for (const file of readmes) {
  const full = path.join(repoRoot(), file);
  const text = readFileSync(full, "utf8");
  const next = renderReadme(text, declarations);
  if (next === text) continue;
  stale++;
  if (check) process.stderr.write(`${file}: property tables are not current (npm run gen)\n`);
  else {
    writeFileSync(full, next);
    process.stderr.write(`${file}: property tables written\n`);
  }
}
process.exit(check && stale > 0 ? 1 : 0);
