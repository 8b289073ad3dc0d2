// The results module's surface for the rest of nixlab (SuiteRun writes runs, compares them with
// baselines and reports the verdict; the CLI reads the archive).
export {
  type ArchivedRun,
  findRun,
  latestRun,
  listRuns,
  loadRun,
  type RunFilter,
  type RunRef,
  runDirFor,
} from "./archive";
export {
  applyPolicy,
  type Baseline,
  type BaselinePolicy,
  type BaselineSource,
  baselinePolicies,
  compareWithBaseline,
  loadBaseline,
  type PolicyVerdict,
  parseBaselineText,
} from "./baseline";
export { type CompareOptions, compareRuns, type RunComparison } from "./compare";
export { hasParser, parsedSuites, parseRawResults } from "./parsers";
export {
  countStatuses,
  parseSummary,
  type RunMeta,
  summarise,
  summariseRunDir,
  testKey,
  writeRunSummary,
  writeSummary,
} from "./summary";
export * from "./types";
