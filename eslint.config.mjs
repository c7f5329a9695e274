import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "test/e2e/.work/", ".pulumi-state/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    // The board's image runs its JavaScript as is (CommonJS on Node.js, a plain script in the browser);
    // the CLI's preload is CommonJS too (Node loads it with --require, before any TypeScript support).
    files: ["images/board/*.js", "cli/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  { files: ["images/board/public/*.js"], languageOptions: { sourceType: "script", globals: globals.browser } },
  {
    // Tests poke at parsed YAML documents; public types stay free of `any`.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
