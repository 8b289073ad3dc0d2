// Where the results fixtures are (real published result files; each folder's SOURCE.md says whence).
import * as path from "node:path";
import { repoRoot } from "../support/paths";

export const fixturesRoot = path.join(repoRoot, "tests/fixtures/results");

export const fixture = (rel: string): string => path.join(fixturesRoot, rel);
