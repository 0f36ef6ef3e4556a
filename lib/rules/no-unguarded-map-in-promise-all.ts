/**
 * Maps shared by the tasks of Promise.all / allSettled / any / race: async callbacks mapped over an
 * array (many instances of one task), arrays of promises built in loops, and the async functions
 * and methods of this file they call.
 */
import { createMapRule } from '../analysis/rule.js';

export default createMapRule({
  name: 'no-unguarded-map-in-promise-all',
  source: 'promise-all',
  description: 'Disallow reading and then writing a shared map across an await inside tasks combined by Promise.all',
});
