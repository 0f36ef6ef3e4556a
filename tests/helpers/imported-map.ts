// A race only type information shows: the module that reads, awaits and writes `visits` does not
// create it; it is a Map imported from another module. The CLI, config and editor tests lay these
// two modules out in their own projects.

/** The module that creates the map (import it as './state.js'). */
export const importedMapState = 'export const visits = new Map<string, number>();\n';

/** The module with the race: Promise.all tasks read, await, then write the imported map. */
export const importedMapVisits = `import { visits } from './state.js';

declare function audit(route: string): Promise<void>;

export async function recordVisits(routes: readonly string[]): Promise<void> {
  await Promise.all(routes.map(async (route) => {
    const count = visits.get(route) ?? 0;
    await audit(route);
    visits.set(route, count + 1);
  }));
}
`;
