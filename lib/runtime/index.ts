/**
 * eslint-plugin-maprace/runtime: the maps the rules' fixes point to, and the errors they throw.
 * @packageDocumentation
 */
export {
  ConcurrentMapError,
  concurrentMapMessages,
  type ConcurrentMapErrorCode,
  type ConcurrentMapErrorDetails,
} from './errors.js';
export { isRaceModeRequested } from './race-flag.js';
