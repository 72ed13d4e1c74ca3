/**
 * docs/operations.md's alert rules must keep working as the metrics evolve:
 * the rules block is valid YAML, and every ollama_grpc_* / nodejs_* /
 * process_* series it (or deployment.md) names is one the gateway exports.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { packageRoot } from "../../src/common/package-files.js";
import { GatewayMetrics } from "../../src/observability/metrics.js";

const docs = ["docs/operations.md", "docs/deployment.md"].map((file) => [file, readFileSync(join(packageRoot(), file), "utf8")] as const);

describe("docs/operations.md", () => {
  it("names only series the gateway exports", async () => {
    const metrics = new GatewayMetrics();
    const exported = new Set<string>();
    for (const metric of await metrics.registry.getMetricsAsJSON()) {
      exported.add(metric.name);
      if (String(metric.type) === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) exported.add(metric.name + suffix);
    }
    for (const [file, text] of docs) {
      const named = new Set(text.match(/\b(?:ollama_grpc|nodejs|process)_[a-z0-9_]+\b/g) ?? []);
      for (const name of named) expect(exported, `${file} names ${name}`).toContain(name);
    }
  });

  it("has a valid Prometheus rules block with an expression and a severity per alert", () => {
    const text = docs[0]![1];
    const block = /```yaml\n(groups:[\s\S]*?)```/.exec(text)?.[1];
    expect(block).toBeDefined();
    const rules = parse(block as string) as { groups: Array<{ rules: Array<{ alert: string; expr: string; labels: { severity: string } }> }> };
    const alerts = rules.groups.flatMap((g) => g.rules);
    expect(alerts.length).toBeGreaterThan(5);
    for (const alert of alerts) {
      expect(alert.expr, alert.alert).toMatch(/\S/);
      expect(["critical", "warning", "info"]).toContain(alert.labels.severity);
    }
  });
});
