import { describe, expect, it } from "vitest";
import { pickCap, type BindingCap, type StreamLimits } from "../../../src/middleware/stream-limits.js";

const NOW = 1_700_000_000_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NO_DEADLINE = Number.POSITIVE_INFINITY;

describe("pickCap", () => {
  // A cap applies only when it would fire before the caller's own deadline; the earliest binding cap wins.
  const cases: Array<{ name: string; limits: StreamLimits; deadline: number; expected: BindingCap | undefined }> = [
    { name: "no caps, no deadline", limits: { maxStreamDurationMs: 0, maxDeadlineMs: 0 }, deadline: NO_DEADLINE, expected: undefined },
    { name: "no caps, a deadline", limits: { maxStreamDurationMs: 0, maxDeadlineMs: 0 }, deadline: NOW + HOUR, expected: undefined },
    {
      name: "only max_stream_duration, no deadline",
      limits: { maxStreamDurationMs: 10 * MINUTE, maxDeadlineMs: 0 },
      deadline: NO_DEADLINE,
      expected: { limit: "max_stream_duration", delayMs: 10 * MINUTE },
    },
    {
      name: "only max_stream_duration, deadline beyond it",
      limits: { maxStreamDurationMs: 10 * MINUTE, maxDeadlineMs: 0 },
      deadline: NOW + HOUR,
      expected: { limit: "max_stream_duration", delayMs: 10 * MINUTE },
    },
    {
      name: "client deadline sooner than max_stream_duration",
      limits: { maxStreamDurationMs: 10 * MINUTE, maxDeadlineMs: 0 },
      deadline: NOW + MINUTE,
      expected: undefined,
    },
    {
      name: "client deadline exactly at max_stream_duration",
      limits: { maxStreamDurationMs: 10 * MINUTE, maxDeadlineMs: 0 },
      deadline: NOW + 10 * MINUTE,
      expected: undefined,
    },
    {
      name: "max_deadline, no client deadline: nothing to clamp",
      limits: { maxStreamDurationMs: 0, maxDeadlineMs: HOUR },
      deadline: NO_DEADLINE,
      expected: undefined,
    },
    {
      name: "max_deadline, client deadline within it",
      limits: { maxStreamDurationMs: 0, maxDeadlineMs: HOUR },
      deadline: NOW + 30 * MINUTE,
      expected: undefined,
    },
    {
      name: "max_deadline, client deadline beyond it: clamped",
      limits: { maxStreamDurationMs: 0, maxDeadlineMs: HOUR },
      deadline: NOW + 48 * HOUR,
      expected: { limit: "max_deadline", delayMs: HOUR },
    },
    {
      name: "both bind, max_stream_duration is smaller",
      limits: { maxStreamDurationMs: 10 * MINUTE, maxDeadlineMs: HOUR },
      deadline: NOW + 48 * HOUR,
      expected: { limit: "max_stream_duration", delayMs: 10 * MINUTE },
    },
    {
      name: "both bind, max_deadline is smaller",
      limits: { maxStreamDurationMs: 2 * HOUR, maxDeadlineMs: HOUR },
      deadline: NOW + 48 * HOUR,
      expected: { limit: "max_deadline", delayMs: HOUR },
    },
    {
      name: "both set, only max_stream_duration binds",
      limits: { maxStreamDurationMs: 10 * MINUTE, maxDeadlineMs: HOUR },
      deadline: NOW + 30 * MINUTE,
      expected: { limit: "max_stream_duration", delayMs: 10 * MINUTE },
    },
    {
      name: "both set, no client deadline: only max_stream_duration applies",
      limits: { maxStreamDurationMs: 2 * HOUR, maxDeadlineMs: HOUR },
      deadline: NO_DEADLINE,
      expected: { limit: "max_stream_duration", delayMs: 2 * HOUR },
    },
    {
      name: "both set, client deadline sooner than both",
      limits: { maxStreamDurationMs: 10 * MINUTE, maxDeadlineMs: HOUR },
      deadline: NOW + 5_000,
      expected: undefined,
    },
    {
      name: "a deadline already in the past",
      limits: { maxStreamDurationMs: 10 * MINUTE, maxDeadlineMs: HOUR },
      deadline: NOW - 5_000,
      expected: undefined,
    },
  ];

  it.each(cases)("$name", ({ limits, deadline, expected }) => {
    expect(pickCap(deadline, limits, NOW)).toStrictEqual(expected);
  });
});
