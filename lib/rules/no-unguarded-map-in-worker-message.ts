/**
 * Maps shared by message handlers (Worker, parentPort, MessagePort, BroadcastChannel, self: every
 * message starts a new run of an async handler), and long-lived maps sent to a worker, which
 * structured clone copies, and keys a 'message' handler looks up that are published only after
 * the request's await.
 */
import { defaultMapRuleOptions, mapRuleAnalysis, mapRuleSchema, messageTexts, type MapRuleOptions, type MessageId } from '../analysis/rule.js';
import { createRule } from '../create-rule.js';

export default createRule<[MapRuleOptions], Exclude<MessageId, 'staleTimer'>>({
  name: 'no-unguarded-map-in-worker-message',
  meta: {
    type: 'problem',
    docs: {
      description: 'Disallow unguarded read-then-write of a shared map in message handlers, and maps copied into workers',
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
      clonedMap: messageTexts.clonedMap,
      latePublication: messageTexts.latePublication,
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
        for (const { messageId, loc, data, fix, suggest } of analysis.races('worker-message')) context.report({ messageId, loc, data, fix, suggest });
        for (const { node, data } of analysis.clonedMaps()) context.report({ node, messageId: 'clonedMap', data });
        for (const { node, data } of analysis.latePublications()) context.report({ node, messageId: 'latePublication', data });
      },
    };
  },
});
