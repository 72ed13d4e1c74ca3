/** Glob patterns as the configuration writes them (cluster models, auth model lists, quota rules). */

/** A case-insensitive, anchored glob: `*` is any run of characters, `?` one character. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, "i");
}
