/**
 * Hot reload of the configuration file. Watches the file's directory (so an
 * editor's write-to-temp-then-rename is seen), debounces bursts, reloads and
 * validates, and hands the new configuration to `apply`. An invalid file is
 * reported and ignored: the running configuration stays.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { Config } from "./schema.js";

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
    if (changed !== null && changed !== file) return;
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

/** Top-level settings that differ between two configurations, other than the backend list. */
export function settingsNeedingRestart(before: Config, after: Config): string[] {
  const withoutBackends = (config: Config) => config.clusters.map((c) => ({ ...c, backends: c.discovery.type === "static" ? [] : c.backends }));
  const keys = Object.keys(after) as Array<keyof Config>;
  return keys.filter((key) => {
    if (key === "backends") return false; // applied live
    if (key === "clusters") return JSON.stringify(withoutBackends(before)) !== JSON.stringify(withoutBackends(after));
    return JSON.stringify(before[key]) !== JSON.stringify(after[key]);
  });
}
