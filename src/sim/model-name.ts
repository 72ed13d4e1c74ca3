/**
 * Ollama model names (`[host/][namespace/]model[:tag]`), parsed and validated
 * like Go's `types/model.ParseName`, so that invalid names are rejected and
 * valid ones normalize to the same display form Ollama returns.
 */

const DEFAULT_HOST = "registry.ollama.ai";
const DEFAULT_NAMESPACE = "library";
const DEFAULT_TAG = "latest";
/** Go fills an empty part around a separator with this, which then fails validation. */
const MISSING = "!MISSING!";

/** A fully qualified model name. */
export interface ModelName {
  readonly host: string;
  readonly namespace: string;
  readonly model: string;
  readonly tag: string;
}

type PartKind = "host" | "namespace" | "model" | "tag";

/** Parses `raw` with defaults applied; `undefined` when Ollama would call it invalid. */
export function parseModelName(raw: string): ModelName | undefined {
  let s = raw;
  let tag = "";
  let namespace = "";
  let host = "";
  // "/" is illegal in a tag, so a ":" after the last "/" starts the tag.
  if (s.lastIndexOf(":") > s.lastIndexOf("/")) [s, tag] = cut(s, ":");
  let model = s;
  if (s.includes("/")) {
    [s, model] = cut(s, "/");
    namespace = s;
    if (s.includes("/")) {
      [s, namespace] = cut(s, "/");
      host = s.includes("://") ? s.slice(s.indexOf("://") + 3) : s;
    }
  }
  const name: ModelName = {
    host: host || DEFAULT_HOST,
    namespace: namespace || DEFAULT_NAMESPACE,
    model,
    tag: tag || DEFAULT_TAG,
  };
  const valid =
    isValidPart("host", name.host) &&
    isValidPart("namespace", name.namespace) &&
    isValidPart("model", name.model) &&
    isValidPart("tag", name.tag);
  return valid ? name : undefined;
}

/** `host/namespace/model:tag`, the form used in capability errors. */
export function fullModelName(name: ModelName): string {
  return `${name.host}/${name.namespace}/${name.model}:${name.tag}`;
}

/** The shortest display form (`llama3.2:latest`, `user/m:tag`), as `/api/tags` shows it. */
export function shortModelName(name: ModelName): string {
  if (name.host.toLowerCase() !== DEFAULT_HOST) return `${name.host}/${name.namespace}/${name.model}:${name.tag}`;
  if (name.namespace.toLowerCase() !== DEFAULT_NAMESPACE) return `${name.namespace}/${name.model}:${name.tag}`;
  return `${name.model}:${name.tag}`;
}

/** Case-insensitive identity key for a name, or `undefined` if it is invalid. */
export function modelKey(raw: string): string | undefined {
  const name = parseModelName(raw);
  return name === undefined ? undefined : fullModelName(name).toLowerCase();
}

function cut(s: string, sep: string): [string, string] {
  const i = s.lastIndexOf(sep);
  return [s.slice(0, i) || MISSING, s.slice(i + 1) || MISSING];
}

function isValidPart(kind: PartKind, s: string): boolean {
  const max = kind === "host" ? 350 : 80;
  if (s.length < 1 || s.length > max) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? "";
    const alnum = /^[A-Za-z0-9_]$/.test(c);
    if (i === 0) {
      if (!alnum) return false;
      continue;
    }
    if (alnum || c === "-") continue;
    if (c === "." && kind !== "namespace") continue;
    if (c === ":" && kind === "host") continue;
    return false;
  }
  return true;
}
