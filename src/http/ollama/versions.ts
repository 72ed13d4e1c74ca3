/**
 * Ordering of Ollama version strings ("0.32.15", "0.33.0-rc2", "0.0.0" for
 * source builds), semver style: numeric major.minor.patch, and a pre-release
 * sorts before its release.
 */

interface ParsedVersion {
  core: [number, number, number];
  pre: string[];
}

/** The lowest of `versions`; unparseable entries are skipped. Undefined when none parse. */
export function lowestVersion(versions: readonly string[]): string | undefined {
  let lowest: { text: string; parsed: ParsedVersion } | undefined;
  for (const text of versions) {
    const parsed = parseVersion(text);
    if (parsed === undefined) continue;
    if (lowest === undefined || compareVersions(parsed, lowest.parsed) < 0) lowest = { text, parsed };
  }
  return lowest?.text;
}

function parseVersion(text: string): ParsedVersion | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(text.trim());
  if (match === null) return undefined;
  return { core: [Number(match[1]), Number(match[2]), Number(match[3])], pre: match[4] === undefined ? [] : match[4].split(".") };
}

function compareVersions(a: ParsedVersion, b: ParsedVersion): number {
  for (let i = 0; i < 3; i++) {
    const diff = (a.core[i] as number) - (b.core[i] as number);
    if (diff !== 0) return diff;
  }
  if (a.pre.length === 0 || b.pre.length === 0) return b.pre.length - a.pre.length; // a release is above its pre-releases
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const diff = comparePart(a.pre[i] as string, b.pre[i] as string);
    if (diff !== 0) return diff;
  }
  return a.pre.length - b.pre.length;
}

function comparePart(a: string, b: string): number {
  const numeric = /^\d+$/;
  if (numeric.test(a) && numeric.test(b)) return Number(a) - Number(b);
  if (numeric.test(a)) return -1;
  if (numeric.test(b)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
