import { configDefaults, defineConfig } from "vitest/config";

/**
 * Two projects: everything else, and the tracing tests, whose files run with
 * the OpenTelemetry SDK started (in-memory exporter) before anything loads
 * @grpc/grpc-js. Only those files pay for the SDK.
 */
export default defineConfig({
  test: {
    testTimeout: 15_000,
    hookTimeout: 15_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: { name: "main", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, "test/tracing/**"] },
      },
      {
        extends: true,
        test: { name: "tracing", include: ["test/tracing/**/*.test.ts"], setupFiles: ["./test/tracing/setup-sdk.ts"] },
      },
    ],
  },
});
