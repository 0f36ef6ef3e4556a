// Shared by every copy of the runtime (ESM and CJS builds, several installs) through the global
// symbol registry, so `--import eslint-plugin-maprace/race` reaches maps loaded through require.
const raceModeKey = Symbol.for('eslint-plugin-maprace.raceMode');

interface RaceModeGlobal {
  [raceModeKey]?: boolean;
}

/** Records that the process asked for race mode (what `--import eslint-plugin-maprace/race` does). */
export function requestRaceMode(): void {
  (globalThis as RaceModeGlobal)[raceModeKey] = true;
}

/** True when race mode was requested for this process. */
export function isRaceModeRequested(): boolean {
  return (globalThis as RaceModeGlobal)[raceModeKey] === true;
}
