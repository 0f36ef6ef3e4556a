/**
 * Maps shared by the tasks of Promise.all / allSettled / any / race: async callbacks mapped over an
 * array (many instances of one task), arrays of promises built in loops, and the async functions
 * and methods of this file they call.
 */
import { defaultMapRuleOptions, mapRuleAnalysis, mapRuleSchema, messageTexts, type MapRuleOptions, type RaceMessageId } from '../analysis/rule.js';
import { createRule } from '../create-rule.js';

export default createRule<[MapRuleOptions], RaceMessageId>({
  name: 'no-unguarded-map-in-promise-all',
  meta: {
    type: 'problem',
    docs: {
      description: 'Disallow reading and then writing a shared map across an await inside tasks combined by Promise.all',
      recommended: 'recommended',
    },
    fixable: 'code',
    hasSuggestions: true,
    schema: mapRuleSchema,
    defaultOptions: [defaultMapRuleOptions],
    messages: {
      readWriteRace: messageTexts.readWriteRace,
      duplicateLoad: messageTexts.duplicateLoad,
      liveIteration: messageTexts.liveIteration,
      liveKeyIteration: messageTexts.liveKeyIteration,
      lazyInitRace: messageTexts.lazyInitRace,
      useGetOrCompute: messageTexts.useGetOrCompute,
      useUpdate: messageTexts.useUpdate,
      useWithLock: messageTexts.useWithLock,
      iterateSnapshot: messageTexts.iterateSnapshot,
    },
  },
  defaultOptions: [defaultMapRuleOptions],
  create(context, [options]) {
    const analysis = mapRuleAnalysis(context, options);
    return {
      'Program:exit'() {
        for (const { messageId, loc, data, fix, suggest } of analysis.races('promise-all')) context.report({ messageId, loc, data, fix, suggest });
      },
    };
  },
});
