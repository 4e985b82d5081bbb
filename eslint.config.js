// ESLint with typescript-eslint's type-aware rules over src/ (all of `recommendedTypeChecked`) and the
// tests (the rules that catch real mistakes there: a promise nobody awaits, an unused binding).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const promiseRules = {
  "@typescript-eslint/no-floating-promises": "error",
  "@typescript-eslint/no-misused-promises": "error",
  "@typescript-eslint/await-thenable": "error",
  "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
};

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "results/**", "bench/native/**", "test/fixtures/**", "**/*.js", "**/*.mjs"] },
  {
    languageOptions: { parserOptions: { project: "./tsconfig.lint.json", tsconfigRootDir: import.meta.dirname } },
  },
  {
    files: ["src/**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    rules: {
      ...promiseRules,
      // An async method that does not await keeps its interface's Promise signature (Profiler.abort, Launched.stop).
      "@typescript-eslint/require-await": "off",
      // String(value) of an unknown CSV or YAML cell is the intent: those cells are strings or numbers.
      "@typescript-eslint/no-base-to-string": "off",
    },
  },
  {
    files: ["test/**/*.ts", "vitest.config.ts"],
    plugins: { "@typescript-eslint": tseslint.plugin },
    languageOptions: { parser: tseslint.parser },
    rules: promiseRules,
  },
);
