/**
 * The runtime: the maps the rules' fixes point to, and the errors they throw. Published as the
 * `maprace` package (no dependencies) and, for code written before it, as
 * `eslint-plugin-maprace/runtime`; both are builds of this file.
 * @packageDocumentation
 */
export {
  ConcurrentMapError,
  concurrentMapMessages,
  SafeMapError,
  MapFullError,
  type ConcurrentMapErrorCode,
  type ConcurrentMapErrorDetails,
  type RaceReport,
  type RaceSide,
  type SafeMapErrorCode,
  type WritingHold,
} from './errors.js';
export {
  SafeMap,
  type LockHandle,
  type LockOptions,
  type LockScope,
  type SafeMapOptions,
  type SafeMapReadView,
  type SafeMapView,
} from './safe-map.js';
export { ShardedMap, type ShardedMapOptions, type ShardStats } from './sharded-map.js';
export {
  SharedSafeMap,
  SharedShardedMap,
  type SharedSafeMapOptions,
  type SharedShardedMapOptions,
} from './shared/safe-map-shared.js';
export {
  GoMap,
  NilMapError,
  bucketsForHint,
  type GoMapCell,
  type GoMapChain,
  type GoMapDebugState,
  type GoMapHeader,
  type GoMapOptions,
  type GoMapStats,
} from './go-map.js';
export {
  renderGoMapStates,
  renderGoMapStateSvg,
  type GoMapFrame,
  type GoMapVizOptions,
} from './viz.js';
export { replayGoTrace, type GoTrace, type GoTraceMismatch, type GoTraceOp } from './go-trace.js';
export { isRaceModeRequested } from './race-flag.js';
export { watchMap, type RaceModeOptions, type RaceReportMode, type WatchMapOptions } from './race-detector.js';
export { SharedGoMap } from './shared/go-map-shared.js';
export type { SharedMapHandle, SharedMapType } from './shared/handle.js';
export type { SharedKey, SharedMapOptions, SharedStoreStats } from './shared/store.js';
