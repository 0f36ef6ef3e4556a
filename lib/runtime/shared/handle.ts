/**
 * The handle of a shared-memory map: the plain object that carries it to another thread, and the
 * checks every `attach` and every `X.shared(options)` makes.
 */
import { describeValue, isPlainObject } from '../locks.js';
import { checkSharedMapOptions, sharedMapOptionKeys, type SharedMapOptions } from './store.js';

/** Which map a handle is for: each attaches with its own class's `attach`. */
export type SharedMapType = 'GoMap' | 'SafeMap' | 'ShardedMap';

/**
 * What goes through `postMessage` or `workerData` to share a map with another thread: a plain,
 * structured-cloneable object holding the map's SharedArrayBuffers (sent as they are, no transfer
 * list). `GoMap.attach(handle)` (or `SafeMap.attach`, `ShardedMap.attach`) on the other side opens
 * the same memory. The map object itself cannot be posted: structured clone drops its class.
 */
export interface SharedMapHandle {
  readonly kind: 'maprace.shared';
  readonly version: 1;
  readonly type: SharedMapType;
  /** The map's name (error messages), or undefined. */
  readonly name: string | undefined;
  /** The map's memory: for a GoMap, its one store buffer. */
  readonly buffers: readonly SharedArrayBuffer[];
}

/** @internal */
export function makeHandle(type: SharedMapType, name: string | undefined, buffers: readonly SharedArrayBuffer[]): SharedMapHandle {
  return { kind: 'maprace.shared', version: 1, type, name, buffers };
}

/**
 * Checks that `handle` is a handle of a `type` map; `caller` names the method in errors
 * (`GoMap.attach`). TypeError naming what it got, or both types when it is another map's handle.
 * @internal
 */
export function checkHandle(caller: string, type: SharedMapType, handle: unknown): SharedMapHandle {
  if (!isPlainObject(handle) || handle.kind !== 'maprace.shared') {
    throw new TypeError(`${caller}: expected the handle of a shared map (map.handle, { kind: 'maprace.shared', … }), got ${describeValue(handle)}`);
  }
  if (handle.version !== 1) throw new TypeError(`${caller}: the handle has version ${String(handle.version)}, this runtime reads version 1`);
  if (handle.type !== type) {
    throw new TypeError(`${caller}: this is the handle of a ${String(handle.type)}, not of a ${type}: attach it with ${String(handle.type)}.attach(handle)`);
  }
  if (handle.name !== undefined && typeof handle.name !== 'string') throw new TypeError(`${caller}: the handle's name must be a string, got ${describeValue(handle.name)}`);
  const buffers = handle.buffers;
  if (!Array.isArray(buffers) || buffers.length === 0 || !buffers.every((buffer) => buffer instanceof SharedArrayBuffer)) {
    throw new TypeError(`${caller}: the handle's buffers must be a non-empty array of SharedArrayBuffers, got ${describeValue(buffers)}`);
  }
  return handle as unknown as SharedMapHandle;
}

/**
 * The options of `X.shared(options)`: a plain object whose keys are SharedMapOptions' (and
 * `extraKeys`), with values checked; TypeError naming the option otherwise.
 * @internal
 */
export function sharedOptions<O extends SharedMapOptions>(kind: string, options: unknown, extraKeys: readonly string[] = []): O {
  if (options === undefined) return {} as O;
  if (!isPlainObject(options)) throw new TypeError(`${kind}: options must be a plain object, got ${describeValue(options)}`);
  for (const key of Object.keys(options)) {
    if (!sharedMapOptionKeys.includes(key) && !extraKeys.includes(key)) throw new TypeError(`${kind}: unknown option '${key}'`);
  }
  checkSharedMapOptions(kind, options as SharedMapOptions);
  return options as O;
}
