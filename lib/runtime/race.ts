/**
 * The race-mode entry: `node --import maprace/race app.js` (also `eslint-plugin-maprace/race`).
 *
 * Puts every GoMap, SafeMap and ShardedMap the process creates in race mode, and starts the
 * happens-before tracking before the program's first line, so that no task of the program is
 * older than the tracking (a map made with `{ race: true }` starts it when it is made). See
 * docs/runtime.md, "Race mode".
 * @packageDocumentation
 */
import { requestRaceMode } from './race-flag.js';
import { raceTracker } from './race-tracker.js';

requestRaceMode();
raceTracker();

export { isRaceModeRequested } from './race-flag.js';
