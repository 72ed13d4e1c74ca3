/** An in-memory pino destination that parses each JSON line (pino's own test helper idea). */
export interface LogSink {
  write(line: string): void;
  readonly records: Array<Record<string, unknown>>;
  /** The raw text written, to assert that something never appears in logs. */
  text(): string;
}

export function createLogSink(): LogSink {
  const lines: string[] = [];
  const records: Array<Record<string, unknown>> = [];
  return {
    write(line: string) {
      lines.push(line);
      records.push(JSON.parse(line) as Record<string, unknown>);
    },
    records,
    text: () => lines.join(""),
  };
}
