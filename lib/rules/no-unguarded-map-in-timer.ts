/**
 * Maps shared by timer callbacks: setTimeout, setInterval (an async callback that outlives its
 * period overlaps itself), setImmediate, queueMicrotask, process.nextTick, and loops over
 * timers/promises setInterval; and setTimeout calls that delete a key later but drop their handle,
 * so the key set again is deleted by the old timer.
 */
import { defaultMapRuleOptions, mapRuleAnalysis, mapRuleSchema, messageTexts, type MapRuleOptions, type RaceMessageId } from '../analysis/rule.js';
import { createRule } from '../create-rule.js';

export default createRule<[MapRuleOptions], RaceMessageId | 'staleTimer'>({
  name: 'no-unguarded-map-in-timer',
  meta: {
    type: 'problem',
    docs: {
      description: 'Disallow reading and then writing a shared map across an await inside timer callbacks',
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
      staleTimer: messageTexts.staleTimer,
    },
  },
  defaultOptions: [defaultMapRuleOptions],
  create(context, [options]) {
    const analysis = mapRuleAnalysis(context, options);
    return {
      'Program:exit'() {
        for (const { messageId, loc, data, fix, suggest } of analysis.races('timer')) context.report({ messageId, loc, data, fix, suggest });
        for (const { node, data } of analysis.staleTimers()) context.report({ node, messageId: 'staleTimer', data });
      },
    };
  },
});
