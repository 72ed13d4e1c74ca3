/** Parses an RFC 3339 timestamp as Ollama writes it (nanoseconds allowed; kept to ms); undefined when absent or invalid. */
export function parseRfc3339(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
