// Shared by every copy of the runtime (ESM and CJS builds, the `maprace` package and the plugin's
// eslint-plugin-maprace/runtime, several installs) through the global symbol registry, so
// `--import maprace/race` reaches maps loaded through require or from the other package. The
// symbol keeps its first name so that copies of every version agree.
const raceModeKey = Symbol.for('eslint-plugin-maprace.raceMode');

interface RaceModeGlobal {
  [raceModeKey]?: boolean;
}

// Read once: MAPRACE=1 must be set when the process starts, as GORACE is for Go.
const raceModeFromEnv = typeof process !== 'undefined' && process.env.MAPRACE === '1';

/** Records that the process asked for race mode (what `--import maprace/race` does). */
export function requestRaceMode(): void {
  (globalThis as RaceModeGlobal)[raceModeKey] = true;
}

/** True when race mode was requested for this process: by the race entry or by `MAPRACE=1`. */
export function isRaceModeRequested(): boolean {
  return raceModeFromEnv || (globalThis as RaceModeGlobal)[raceModeKey] === true;
}
