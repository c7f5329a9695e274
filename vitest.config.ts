import { defineConfig } from "vitest/config";

// Unit tests are fast and offline; end-to-end tests share one real lab and run one file at a time.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    fileParallelism: false,
    reporters: ["default"],
  },
});
