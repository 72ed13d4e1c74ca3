/**
 * Wire encoding of the per-token messages (GenerateResponse, ChatResponse).
 * A stream sends one of these per token, so their encoding is on the hot
 * path: ts-proto's generic encoder costs about 0.9 µs per token message
 * (a BinaryWriter, fork/join for each nested message, a copy in finish()).
 * This module writes the common token shape (model, created_at, text,
 * thinking, role, done, done_reason, backend) in one pass into one
 * exactly-sized buffer, and hands every other shape (tool calls, images,
 * logprobs, usage, timings, context: the rare and final messages) to
 * ts-proto. The output is byte-for-byte what ts-proto writes (tested), so
 * this is an optimisation, not a second wire format.
 */
import { ChatResponse, GenerateResponse, type Message } from "../../gen/ollama/v1/ollama.js";

/** Encodes a GenerateResponse (possibly partial, as handlers may yield). */
export function encodeGenerateResponse(message: Partial<GenerateResponse>): Uint8Array {
  if (!isSimpleGenerate(message)) return GenerateResponse.encode(GenerateResponse.fromPartial(message)).finish();
  const model = text(message.model);
  const response = text(message.response);
  const thinking = text(message.thinking);
  const doneReason = text(message.doneReason);
  const backend = text(message.backend);
  const time = timestamp(message.createdAt);
  const size =
    stringSize(model) + nestedSize(time.size) + stringSize(response) + stringSize(thinking) +
    (message.done === true ? 2 : 0) + stringSize(doneReason) + stringSize(backend);
  const out = Buffer.allocUnsafe(size);
  let at = writeString(out, 0, 1, model);
  at = writeTimestamp(out, at, 2, time);
  at = writeString(out, at, 3, response);
  at = writeString(out, at, 4, thinking);
  if (message.done === true) at = writeBool(out, at, 7);
  at = writeString(out, at, 8, doneReason);
  writeString(out, at, 11, backend);
  return out;
}

/** Encodes a ChatResponse (possibly partial, as handlers may yield). */
export function encodeChatResponse(message: Partial<ChatResponse>): Uint8Array {
  if (!isSimpleChat(message)) return ChatResponse.encode(ChatResponse.fromPartial(message)).finish();
  const model = text(message.model);
  const doneReason = text(message.doneReason);
  const backend = text(message.backend);
  const time = timestamp(message.createdAt);
  const inner = message.message;
  const role = inner?.role ?? 0;
  const content = text(inner?.content);
  const thinking = text(inner?.thinking);
  const toolName = text(inner?.toolName);
  const toolCallId = text(inner?.toolCallId);
  const innerSize =
    inner === undefined
      ? -1
      : (role === 0 ? 0 : 1 + varintSize(role)) + stringSize(content) + stringSize(thinking) + stringSize(toolName) + stringSize(toolCallId);
  const size =
    stringSize(model) + nestedSize(time.size) + nestedSize(innerSize) +
    (message.done === true ? 2 : 0) + stringSize(doneReason) + stringSize(backend);
  const out = Buffer.allocUnsafe(size);
  let at = writeString(out, 0, 1, model);
  at = writeTimestamp(out, at, 2, time);
  if (inner !== undefined) {
    out[at++] = (3 << 3) | 2;
    at = writeVarint(out, at, innerSize);
    if (role !== 0) {
      out[at++] = 1 << 3;
      at = writeVarint(out, at, role);
    }
    at = writeString(out, at, 2, content);
    at = writeString(out, at, 4, thinking);
    at = writeString(out, at, 6, toolName);
    at = writeString(out, at, 7, toolCallId);
  }
  if (message.done === true) at = writeBool(out, at, 5);
  at = writeString(out, at, 6, doneReason);
  writeString(out, at, 9, backend);
  return out;
}

function isSimpleGenerate(m: Partial<GenerateResponse>): boolean {
  return (
    empty(m.toolCalls) && empty(m.logprobs) && m.usage === undefined && m.timings === undefined && empty(m.context) && simpleDate(m.createdAt)
  );
}

function isSimpleChat(m: Partial<ChatResponse>): boolean {
  return empty(m.logprobs) && m.usage === undefined && m.timings === undefined && simpleDate(m.createdAt) && simpleMessage(m.message);
}

function simpleMessage(m: Message | undefined): boolean {
  return m === undefined || (empty(m.images) && empty(m.toolCalls) && (m.role === undefined || (Number.isInteger(m.role) && m.role >= 0)));
}

function empty(list: readonly unknown[] | undefined): boolean {
  return list === undefined || list.length === 0;
}

/** Dates before 1970 (negative seconds need 10-byte varints) and invalid dates take the generic path. */
function simpleDate(date: Date | undefined): boolean {
  if (date === undefined) return true;
  const ms = date.getTime();
  return Number.isFinite(ms) && ms >= 0;
}

/** A string field's value and its UTF-8 length (ASCII, the common case, is measured without an encoder call). */
interface Text {
  value: string;
  bytes: number;
}

const NO_TEXT: Text = { value: "", bytes: 0 };

function text(value: string | undefined): Text {
  if (value === undefined || value === "") return NO_TEXT;
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 0x7f) return { value, bytes: Buffer.byteLength(value, "utf8") };
  }
  return { value, bytes: value.length };
}

/** A Timestamp as ts-proto writes it for a Date: whole seconds, and the milliseconds as nanos; size -1 when absent. */
function timestamp(date: Date | undefined): { seconds: number; nanos: number; size: number } {
  if (date === undefined) return { seconds: 0, nanos: 0, size: -1 };
  const ms = date.getTime();
  const seconds = Math.trunc(ms / 1_000);
  const nanos = (ms % 1_000) * 1_000_000;
  return { seconds, nanos, size: (seconds === 0 ? 0 : 1 + varintSize(seconds)) + (nanos === 0 ? 0 : 1 + varintSize(nanos)) };
}

/** A string field's encoded size. Every field number here is below 16, so every tag is one byte. */
function stringSize(t: Text): number {
  return t.bytes === 0 ? 0 : 1 + varintSize(t.bytes) + t.bytes;
}

/** A nested message of `size` bytes; -1 means absent (an empty message present still costs its tag and length). */
function nestedSize(size: number): number {
  return size < 0 ? 0 : 1 + varintSize(size) + size;
}

function writeString(out: Buffer, at: number, field: number, t: Text): number {
  if (t.bytes === 0) return at;
  out[at++] = (field << 3) | 2;
  at = writeVarint(out, at, t.bytes);
  if (t.bytes === t.value.length) {
    for (let i = 0; i < t.bytes; i++) out[at + i] = t.value.charCodeAt(i);
    return at + t.bytes;
  }
  return at + out.write(t.value, at, t.bytes, "utf8");
}

function writeTimestamp(out: Buffer, at: number, field: number, time: { seconds: number; nanos: number; size: number }): number {
  if (time.size < 0) return at;
  out[at++] = (field << 3) | 2;
  at = writeVarint(out, at, time.size);
  if (time.seconds !== 0) {
    out[at++] = 1 << 3;
    at = writeVarint(out, at, time.seconds);
  }
  if (time.nanos !== 0) {
    out[at++] = 2 << 3;
    at = writeVarint(out, at, time.nanos);
  }
  return at;
}

function writeBool(out: Buffer, at: number, field: number): number {
  out[at++] = field << 3;
  out[at++] = 1;
  return at;
}

/** Bytes of a non-negative integer (up to 2^53) as a varint. */
function varintSize(value: number): number {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size += 1;
  }
  return size;
}

function writeVarint(out: Buffer, at: number, value: number): number {
  while (value >= 128) {
    out[at++] = (value % 128) | 128;
    value = Math.floor(value / 128);
  }
  out[at++] = value;
  return at;
}
