/**
 * Matching model names against configured globs, tolerant of Ollama's
 * implicit ":latest" tag.
 */
import { globToRegExp } from "../common/glob.js";
import { modelKey } from "./model-name.js";

/**
 * A predicate for the models matching any of `patterns`, compiled once (use
 * it to filter long lists). A name matches when a glob matches it as sent,
 * its key ("llama3.2" -> "llama3.2:latest"), or its key without ":latest",
 * so the glob "llama3.2" covers "llama3.2:latest" and vice versa.
 */
export function modelGlobMatcher(patterns: readonly string[]): (model: string) => boolean {
  const compiled = patterns.map(globToRegExp);
  return (model) => {
    const key = modelKey(model);
    const candidates = [model, key, key.endsWith(":latest") ? key.slice(0, -":latest".length) : key];
    return compiled.some((pattern) => candidates.some((candidate) => pattern.test(candidate)));
  };
}
