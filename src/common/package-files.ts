/**
 * Locates files shipped with the package (gen/descriptor.binpb,
 * package.json) from any module, whether it runs from src/ via tsx or from
 * dist/src/ after a build: walk up from this file to the package root.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The package root: the nearest ancestor directory holding package.json. */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth++) {
    if (existsSync(join(dir, "package.json"))) return (root = dir);
    dir = dirname(dir);
  }
  throw new Error("package.json not found above " + fileURLToPath(import.meta.url));
}

/** Absolute path of a file relative to the package root. */
export function packageFile(relative: string): string {
  return join(packageRoot(), relative);
}

/** The gateway's version, from package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(packageFile("package.json"), "utf8")) as { version?: string };
  return pkg.version ?? "0.0.0";
}
