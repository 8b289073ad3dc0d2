// execa 9 and its helpers are ESM-only; jest's module loader is CommonJS, so those
// packages are compiled to CommonJS by ts-jest like our own sources.
const esmOnly = [
  "execa", "@sindresorhus/merge-streams", "figures", "get-stream", "human-signals",
  "is-plain-obj", "is-stream", "is-unicode-supported", "npm-run-path", "parse-ms",
  "path-key", "pretty-ms", "strip-final-newline", "unicorn-magic", "yoctocolors",
];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.[tj]s$": ["ts-jest", { isolatedModules: true, tsconfig: { allowJs: true, module: "commonjs", moduleResolution: "node10", esModuleInterop: true, sourceMap: true } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join("|")})/)`],
  globalSetup: "<rootDir>/tests/support/global-setup.ts",
  globalTeardown: "<rootDir>/tests/support/global-teardown.ts",
  testTimeout: 300_000,
  verbose: true,
};
