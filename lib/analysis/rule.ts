/**
 * The one rule the three maprace rules are made from: they differ in the source of concurrent
 * tasks they watch (and the worker rule also reports maps copied into workers). The file model is
 * built once per file and options and shared between them.
 */
import type { TSESLint, TSESTree } from '@typescript-eslint/utils';
import type { JSONSchema4 } from '@typescript-eslint/utils/json-schema';
import { createRule } from '../create-rule.js';
import { FileModel } from './file-model.js';
import { planFix, type FixId } from './fixes.js';
import { findClonedMaps, findRaces, kindLabel, line, type Race } from './races.js';
import { GuardMatcher } from './sections.js';
import type { SourceKind } from './tasks.js';

export interface MapRuleOptions {
  /** Callee names (`queue.run`, `withTransaction`) or `/regex/flags` whose callback runs serialized. */
  guards?: string[];
  /** Type or class names whose instances count as guarded maps. */
  safeTypes?: string[];
  /** The module the fixes import SafeMap from. */
  runtimeModule?: string;
  /** Apply the rewrite on `eslint --fix` (otherwise it is offered as a suggestion only). */
  autofix?: boolean;
}

export type MessageId = 'readWriteRace' | 'liveIteration' | 'clonedMap' | FixId;

export const defaultRuntimeModule = 'eslint-plugin-maprace/runtime';

const optionsSchema: JSONSchema4[] = [
  {
    type: 'object',
    additionalProperties: false,
    properties: {
      guards: {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        uniqueItems: true,
        description: 'Callee names or /regex/ patterns whose callback runs serialized, like a lock.',
      },
      safeTypes: {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        uniqueItems: true,
        description: 'Type or class names whose instances are guarded maps.',
      },
      runtimeModule: { type: 'string', minLength: 1, description: 'The module the fixes import SafeMap from.' },
      autofix: { type: 'boolean', description: 'Apply the rewrite on eslint --fix, not only as a suggestion.' },
    },
  },
];

const messages: Record<MessageId, string> = {
  readWriteRace:
    "{{kind}} '{{name}}' is read on line {{readLine}} and written on line {{writeLine}} across {{suspension}} on line {{awaitLine}} inside {{source}}, {{writer}}: a lost update (Go: concurrent map read and map write). {{advice}}",
  liveIteration:
    "{{kind}} '{{name}}' is iterated on line {{loopLine}} with {{suspension}} in the loop (line {{awaitLine}}) inside {{source}}, {{writer}} (Go: concurrent map iteration and map write). Iterate a copy ([...{{name}}]) or SafeMap.snapshot().",
  clonedMap:
    "{{kind}} '{{name}}' is sent to a worker through {{via}} on line {{line}}, and it is written on line {{writeLine}}: structured clone sends a copy, so writes on either side are never seen by the other. Send the changes as messages, or share the state explicitly (ShardedMap.shared for worker_threads, planned).",
  useGetOrCompute: "Make '{{name}}' a SafeMap and load the entry with getOrCompute (one load however many tasks miss).",
  useUpdate: "Make '{{name}}' a SafeMap and do the read-modify-write in update (serialized per key).",
  useWithLock: "Make '{{name}}' a SafeMap and run the section in withLock, reading and writing through the view.",
  iterateSnapshot: "Iterate a copy of '{{name}}' taken before the loop.",
};

const modelCache = new WeakMap<TSESLint.SourceCode, Map<string, FileModel>>();

function modelOf(sourceCode: TSESLint.SourceCode, safeTypes: readonly string[]): FileModel {
  let byOptions = modelCache.get(sourceCode);
  if (!byOptions) modelCache.set(sourceCode, (byOptions = new Map()));
  const key = [...safeTypes].sort().join('\u0000');
  let model = byOptions.get(key);
  if (!model) byOptions.set(key, (model = new FileModel(sourceCode, new Set(safeTypes))));
  return model;
}

export interface MapRuleSpec {
  name: string;
  source: SourceKind;
  description: string;
}

export function createMapRule({ name, source, description }: MapRuleSpec) {
  return createRule<[MapRuleOptions], MessageId>({
    name,
    meta: {
      type: 'problem',
      docs: { description, recommended: 'recommended' },
      fixable: 'code',
      hasSuggestions: true,
      schema: optionsSchema,
      messages,
      defaultOptions: [{ guards: [], safeTypes: [], runtimeModule: defaultRuntimeModule, autofix: false }],
    },
    defaultOptions: [{ guards: [], safeTypes: [], runtimeModule: defaultRuntimeModule, autofix: false }],
    create(context, [options]) {
      const guards = new GuardMatcher(options.guards ?? []);
      const runtimeModule = options.runtimeModule ?? defaultRuntimeModule;
      return {
        'Program:exit'() {
          const model = modelOf(context.sourceCode, options.safeTypes ?? []);
          for (const race of findRaces(model, source, guards)) report(context, model, race, runtimeModule, options.autofix === true);
          if (source === 'worker-message') {
            for (const cloned of findClonedMaps(model)) {
              context.report({
                node: cloned.ref,
                messageId: 'clonedMap',
                data: { ...cloned.access, via: cloned.via === 'workerData' ? 'workerData' : 'postMessage', line: line(cloned.ref), writeLine: line(cloned.writer.node) },
              });
            }
          }
        },
      };
    },
  });
}

function report(context: Readonly<TSESLint.RuleContext<MessageId, [MapRuleOptions]>>, model: FileModel, race: Race, runtimeModule: string, autofix: boolean): void {
  const { section } = race;
  const plan = planFix(model, section, runtimeModule);
  const first = section.type === 'read-write' ? section.read : section.loop;
  const base = {
    kind: kindLabel(first.map.kind),
    name: first.map.name,
    source: race.group.label,
    writer: race.writer,
    suspension: suspensionWord(section.suspension.node),
    awaitLine: line(section.suspension.node),
  };
  const suggest = plan.fix ? [{ messageId: plan.fix.id, data: { name: first.map.name }, fix: plan.fix.fix }] : [];
  const fix = plan.fix && autofix ? plan.fix.fix : null;
  if (section.type === 'live-loop') {
    const loop = section.loop.node as TSESTree.ForOfStatement;
    context.report({
      loc: { start: loop.loc.start, end: loop.right.loc.end },
      messageId: 'liveIteration',
      data: { ...base, loopLine: line(loop) },
      suggest,
      fix,
    });
    return;
  }
  const { read, write } = section;
  const advice = adviceFor(plan.fix?.id, plan.reason);
  context.report({
    loc: { start: read.node.loc.start, end: write.node.loc.end },
    messageId: 'readWriteRace',
    data: { ...base, readLine: line(read.node), writeLine: line(write.node), advice },
    suggest,
    fix,
  });
}

function adviceFor(fix: FixId | undefined, reason: string | undefined): string {
  const what =
    fix === 'useGetOrCompute'
      ? 'Use SafeMap.getOrCompute or guard the section.'
      : fix === 'useUpdate'
        ? 'Use SafeMap.update or guard the section.'
        : 'Guard the section (SafeMap.withLock, or a lock around it).';
  return reason ? `${what} No automatic fix: ${reason}.` : what;
}

function suspensionWord(node: TSESTree.Node): string {
  if (node.type === 'YieldExpression') return 'a yield';
  if (node.type === 'AwaitExpression') return 'an await';
  if (node.type === 'VariableDeclaration') return 'an await using';
  return 'a for await';
}
