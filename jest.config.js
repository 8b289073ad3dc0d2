// execa 9 and its helpers are ESM-only; jest's module loader is CommonJS, so those
// packages are compiled to CommonJS by ts-jest like our own sources. (Plain Node 20.19+
// loads them with require(esm); only jest needs this.) The global set-up and teardown run
// outside jest's loader, so they use node:child_process instead of execa.
const fs = require("node:fs");
const path = require("node:path");

/** Names of the installed packages that are ESM ("type": "module"), scoped and nested ones included. */
function esmPackages(dir = path.join(__dirname, "node_modules"), scope = "") {
  const names = [];
  for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (entry.startsWith(".")) continue;
    if (entry.startsWith("@") && !scope) {
      names.push(...esmPackages(path.join(dir, entry), entry));
      continue;
    }
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, entry, "package.json"), "utf8"));
      if (pkg.type === "module") names.push(scope ? `${scope}/${entry}` : entry);
    } catch {
      // not a package
    }
    // Nested copies (another version of a package) can be ESM where the top-level one is not.
    names.push(...esmPackages(path.join(dir, entry, "node_modules")));
  }
  return names;
}
const esmOnly = [...new Set(esmPackages())].map((n) => n.replace(/[.+]/g, "\\$&"));

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.[tj]s$": [
      "ts-jest",
      {
        tsconfig: {
          isolatedModules: true,
          allowJs: true,
          module: "commonjs",
          moduleResolution: "node10",
          esModuleInterop: true,
          sourceMap: true,
        },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join("|")})/)`],
  // unicorn-magic exports only an "import" condition, which a CommonJS require never matches.
  moduleNameMapper: { "^unicorn-magic$": "<rootDir>/node_modules/unicorn-magic/node.js" },
  globalSetup: "<rootDir>/tests/support/global-setup.ts",
  globalTeardown: "<rootDir>/tests/support/global-teardown.ts",
  testTimeout: 300_000,
  verbose: true,
};
