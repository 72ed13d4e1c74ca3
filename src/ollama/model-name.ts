/**
 * Model-name matching as Ollama does it for everyday names: case-insensitive,
 * and a name without a tag means ":latest" ("llama3.2" is
 * "llama3.2:latest"). Registry hosts and namespaces are compared as written.
 */

/** The key two names share when Ollama treats them as the same model. */
export function modelKey(name: string): string {
  const lower = name.trim().toLowerCase();
  const lastSegment = lower.slice(lower.lastIndexOf("/") + 1);
  return lastSegment.includes(":") ? lower : `${lower}:latest`;
}
