/**
 * How keys and values become bytes in a shared store, and back (the slot and tag formats are in
 * layout.ts). Strings are kept as their UTF-16 code units, so every JavaScript string (lone
 * surrogates included) comes back exactly; values that are not primitives go through
 * `v8.serialize`, the structured clone postMessage uses.
 * @internal
 */
import { describeValue } from '../locks.js';

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/** Whether a bigint fits a BigInt64 slot. */
export function isInt64(value: bigint): boolean {
  return value >= int64Min && value <= int64Max;
}

/** A bigint outside int64 as stored in the arena: its sign and hexadecimal digits. */
export function bigintText(value: bigint): string {
  return value < 0n ? `-${(-value).toString(16)}` : value.toString(16);
}

export function bigintFromText(text: string): bigint {
  return text.startsWith('-') ? -BigInt(`0x${text.slice(1)}`) : BigInt(`0x${text}`);
}

/** Longest run of code units passed to String.fromCharCode at once (argument-count limits). */
const unitChunk = 8192;

/** The string held by `length` UTF-16 code units at byte offset `offset`. */
export function readUnits(u16: Uint16Array, offset: number, length: number): string {
  const start = offset >>> 1;
  if (length <= unitChunk) return String.fromCharCode.apply(null, u16.subarray(start, start + length) as unknown as number[]);
  let text = '';
  for (let i = 0; i < length; i += unitChunk) {
    text += String.fromCharCode.apply(null, u16.subarray(start + i, start + Math.min(length, i + unitChunk)) as unknown as number[]);
  }
  return text;
}

export function writeUnits(u16: Uint16Array, offset: number, text: string): void {
  const start = offset >>> 1;
  for (let i = 0; i < text.length; i++) u16[start + i] = text.charCodeAt(i);
}

/** Whether the code units at byte offset `offset` spell `text` (whose length the caller checked). */
export function unitsEqual(u16: Uint16Array, offset: number, text: string): boolean {
  const start = offset >>> 1;
  for (let i = 0; i < text.length; i++) if (u16[start + i] !== text.charCodeAt(i)) return false;
  return true;
}

interface V8Serializer {
  serialize(value: unknown): Uint8Array;
  deserialize(bytes: Uint8Array): unknown;
}

let v8: V8Serializer | undefined;

/** node:v8, loaded the first time a value needs it (the runtime has no static import of it). */
function serializer(): V8Serializer {
  v8 ??= process.getBuiltinModule('node:v8') as V8Serializer;
  return v8;
}

/**
 * A value that is not a primitive, as v8.serialize bytes. Throws a TypeError naming the value's
 * type when structured clone refuses it (a function inside an object, a WeakMap…).
 */
export function serializeValue(label: string, value: unknown): Uint8Array {
  if (typeof value === 'function' || typeof value === 'symbol') {
    throw new TypeError(`${label}: cannot store ${describeValue(value)} as a value: values must be numbers, strings, booleans, null, undefined, bigints or structured-clone-able objects`);
  }
  try {
    return serializer().serialize(value);
  } catch (error) {
    throw new TypeError(`${label}: cannot store ${describeValue(value)} as a value: structured clone refused it (${(error as Error).message})`, { cause: error });
  }
}

export function deserializeValue(bytes: Uint8Array): unknown {
  return serializer().deserialize(bytes);
}
