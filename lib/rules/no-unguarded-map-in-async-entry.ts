/**
 * Maps shared by the runs of a file's entries, which callers start and start again before an
 * earlier run ends: exported async functions, public async methods of exported classes, request
 * handlers, EventEmitter listeners, editor and language-server callbacks.
 */
import { defaultMapRuleOptions, mapRuleAnalysis, mapRuleSchema, messageTexts, type MapRuleOptions, type RaceMessageId } from '../analysis/rule.js';
import { createRule } from '../create-rule.js';

export default createRule<[MapRuleOptions], RaceMessageId>({
  name: 'no-unguarded-map-in-async-entry',
  meta: {
    type: 'problem',
    docs: {
      description: 'Disallow reading and then writing a shared map across an await in exported async functions, request handlers and event listeners',
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
        for (const { messageId, loc, data, fix, suggest } of analysis.races('async-entry')) context.report({ messageId, loc, data, fix, suggest });
      },
    };
  },
});
