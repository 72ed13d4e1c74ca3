/**
 * Hot reload of the configuration file. Watches the file's directory (so an
 * editor's write-to-temp-then-rename and a Kubernetes ConfigMap update, which
 * swaps a `..data` symlink, are seen), debounces bursts, reloads and
 * validates, and hands the new configuration to `apply`. An invalid file is
 * reported and ignored: the running configuration stays.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { Config } from "./schema.js";

/**
 * What Kubernetes swaps when it updates a ConfigMap volume: the file itself
 * is a symlink through `..data`, so no event ever names the file.
 */
const CONFIGMAP_DATA_LINK = "..data";

/** Debounce for bursts of file events from one save. */
const DEBOUNCE_MS = 100;

export interface ConfigWatcher {
  close(): void;
}

/**
 * Calls `load()` after the file at `path` changes, then `apply(config)`
 * with the result, or `reject(error)` when loading failed.
 */
export function watchConfigFile(path: string, load: () => Config, apply: (config: Config) => void, reject: (error: unknown) => void): ConfigWatcher {
  const file = basename(resolve(path));
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dirname(resolve(path)), (_event, changed) => {
    if (changed !== null && changed !== file && changed !== CONFIGMAP_DATA_LINK) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      let config: Config;
      try {
        config = load();
      } catch (error) {
        reject(error);
        return;
      }
      apply(config);
    }, DEBOUNCE_MS);
  });
  watcher.unref();
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}

/**
 * Top-level settings that differ between two configurations, other than the
 * backend lists (applied live): they take effect on restart. The listener
 * sections (`listen`, `http`, `transport`, `tls`) are among them; what the
 * TLS files contain reloads live (server/tls-files.ts) and is not part of the
 * configuration, but their paths and `tls.refresh_interval` need a restart.
 */
export function settingsNeedingRestart(before: Config, after: Config): string[] {
  const withoutBackends = (config: Config) => config.clusters.map((c) => ({ ...c, backends: c.discovery.type === "static" ? [] : c.backends }));
  const keys = Object.keys(after) as Array<keyof Config>;
  return keys.filter((key) => {
    if (key === "backends") return false; // applied live
    if (key === "clusters") return JSON.stringify(withoutBackends(before)) !== JSON.stringify(withoutBackends(after));
    return JSON.stringify(before[key]) !== JSON.stringify(after[key]);
  });
}
