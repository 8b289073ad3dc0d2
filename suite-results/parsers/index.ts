// Which parser reads which suite's raw results.
import type { SuiteName, TestResult } from "../types";
import { parseBlktestsDir } from "./blktests";
import { parseFstestsDir } from "./fstests";
import { parseKselftestDir } from "./kselftest";
import { parseLtpDir } from "./ltp";

export interface ParseOptions {
  /** The runner's log of the suite's console output (check's stdout, run_kselftest.sh's TAP...). */
  console?: string;
}

type Parser = (rawDir: string, options: ParseOptions) => TestResult[];

const parsers: Partial<Record<SuiteName, Parser>> = {
  fstests: parseFstestsDir,
  blktests: parseBlktestsDir,
  selftests: parseKselftestDir,
  ltp: parseLtpDir,
};

/** Suites whose raw results nixlab can read. */
export const parsedSuites = Object.keys(parsers) as SuiteName[];

export function hasParser(suite: SuiteName): boolean {
  return parsers[suite] !== undefined;
}

/** The test results in a run's raw folder. Throws for a suite without a parser. */
export function parseRawResults(suite: SuiteName, rawDir: string, options: ParseOptions = {}): TestResult[] {
  const parser = parsers[suite];
  if (!parser)
    throw new Error(
      `suite "${suite}": nixlab has no results parser for it (parsed: ${parsedSuites.join(", ")})`,
    );
  return parser(rawDir, options);
}
