/** Quota settings for tests, written as in the configuration file. */
import { parseQuotaConfig, type QuotaSettings } from "../../src/config/quota-schema.js";

/** Validated `quotas` settings from their file form; throws on any problem. */
export function quotasFrom(raw: Record<string, unknown>): QuotaSettings {
  const problems: string[] = [];
  const settings = parseQuotaConfig(raw, (text) => problems.push(text));
  if (problems.length > 0) throw new Error(`invalid quotas in test: ${problems.join("; ")}`);
  return settings;
}
