/**
 * The race-mode entry: `node --import eslint-plugin-maprace/race app.js`.
 *
 * Loading it records, for the whole process, that race mode was requested; the runtime's maps
 * read that flag. The detectors that race mode switches on arrive with the race-mode work; until
 * then this entry only records the request (see docs/runtime.md).
 * @packageDocumentation
 */
import { requestRaceMode } from './race-flag.js';

requestRaceMode();

export { isRaceModeRequested } from './race-flag.js';
