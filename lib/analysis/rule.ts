/**
 * What the three maprace rules share: their options (schema and defaults), their message texts,
 * and the analysis their `create` starts, which finds what they report. The rules differ in the
 * source of concurrent tasks they watch (and the worker rule also reports maps copied into
 * workers); the file model is built once per file and options and shared between them.
 */
import type { TSESLint, TSESTree } from '@typescript-eslint/utils';
import type { JSONSchema4 } from '@typescript-eslint/utils/json-schema';
import { FileModel } from './file-model.js';
import { planFixes, type FixId, type Plan } from './fixes.js';
import { findLatePublications } from './publications.js';
import { findClonedMaps, findRaces, kindLabel, line, type Race } from './races.js';
import { GuardMatcher } from './sections.js';
import { findStaleTimers } from './stale-timers.js';
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

/** The messages of every maprace rule; the worker rule adds `clonedMap` and `latePublication`, the timer rule `staleTimer`. */
export type RaceMessageId = 'readWriteRace' | 'liveIteration' | FixId;
export type MessageId = RaceMessageId | 'clonedMap' | 'latePublication' | 'staleTimer';

export const defaultRuntimeModule = 'eslint-plugin-maprace/runtime';

/** The options every maprace rule defaults to (its `defaultOptions` is `[defaultMapRuleOptions]`). */
export const defaultMapRuleOptions: MapRuleOptions = { guards: [], safeTypes: [], runtimeModule: defaultRuntimeModule, autofix: false };

/** The options schema of every maprace rule (ESLint validates the options against it). */
export const mapRuleSchema: JSONSchema4[] = [
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

/** The texts of the messages, by id; each rule's `meta.messages` lists the ids it reports. */
export const messageTexts: Record<MessageId, string> = {
  readWriteRace:
    "{{kind}} '{{name}}' is read on line {{readLine}} and written on line {{writeLine}} across {{suspension}} on line {{awaitLine}} inside {{source}}, {{writer}}: a lost update (Go: concurrent map read and map write). {{advice}}",
  liveIteration:
    "{{kind}} '{{name}}' is iterated on line {{loopLine}} with {{suspension}} in the loop (line {{awaitLine}}) inside {{source}}, {{writer}} (Go: concurrent map iteration and map write). Iterate a copy ([...{{name}}]) or SafeMap.snapshot().",
  clonedMap:
    "{{kind}} '{{name}}' is sent to a worker through {{via}} on line {{line}}, and it is written on line {{writeLine}}: structured clone sends a copy, so writes on either side are never seen by the other. Send each change to the worker as a message, or post a fresh snapshot (Object.fromEntries({{name}})) whenever the worker needs the current state.",
  latePublication:
    "{{kind}} '{{name}}' gets key '{{key}}' on line {{writeLine}} only after {{suspension}} on line {{awaitLine}} that follows the request, but {{handler}} (line {{handlerLine}}) reads it: a reply that arrives during the await finds no entry and is dropped. Set the entry before sending.",
  staleTimer:
    "setTimeout on line {{line}} deletes key '{{key}}' of {{kind}} '{{name}}' after {{delay}}, but its handle is dropped: when '{{key}}' is set again before it fires (line {{writeLine}} runs on every call), the old timer deletes the new entry. Keep the handle with the entry and clearTimeout it on the next set (or check the entry is still the one set).",
  useGetOrCompute: "Make '{{name}}' a SafeMap and load the entry with getOrCompute (one load however many tasks miss).",
  useUpdate: "Make '{{name}}' a SafeMap and do the read-modify-write in update (serialized per key).",
  useWithLock: "Make '{{name}}' a SafeMap and run the section in withLock, reading and writing through the view.",
  iterateSnapshot: "Iterate a copy of '{{name}}' taken before the loop.",
};

/** What the analysis needs of a rule's context. */
interface FileContext {
  id: string;
  sourceCode: TSESLint.SourceCode;
  physicalFilename: string;
}

/** A race to report: where, which message with which data, and its rewrite (as a fix and a suggestion). */
export interface RaceReport {
  messageId: 'readWriteRace' | 'liveIteration';
  loc: TSESTree.SourceLocation;
  data: Record<string, string | number>;
  /** The rewrite for `eslint --fix`: only with `autofix`, and only where it cannot make a crash of the race. */
  fix: TSESLint.ReportFixFunction | null;
  suggest: TSESLint.SuggestionReportDescriptor<RaceMessageId>[];
}

/** A long-lived map handed to a worker, which gets a copy. */
export interface ClonedMapReport {
  node: TSESTree.Node;
  data: Record<string, string | number>;
}

/** A report that needs no fix: where, and the data of its message. */
export interface PlainReport {
  node: TSESTree.Node;
  data: Record<string, string | number>;
}

/** What a rule's `create` gets back: the races of its task source, maps copied into workers, keys published late, timers never cancelled. */
export interface MapRuleAnalysis {
  races(source: SourceKind): RaceReport[];
  clonedMaps(): ClonedMapReport[];
  latePublications(): PlainReport[];
  staleTimers(): PlainReport[];
}

/**
 * Starts the shared analysis for one file: checks the options now (an invalid `guards` pattern
 * fails the rule's creation with a message naming the rule, the option and the pattern); the
 * rule asks for its reports at `Program:exit`.
 */
export function mapRuleAnalysis(context: FileContext, options: MapRuleOptions): MapRuleAnalysis {
  const guards = guardMatcher(context.id, options.guards ?? []);
  const runtimeModule = options.runtimeModule ?? defaultRuntimeModule;
  const model = () => modelOf(context.sourceCode, options.safeTypes ?? []);
  return {
    races(source) {
      const races = findRaces(model(), source, guards);
      const plans = planFixes(model(), races.map((race) => race.section), runtimeModule, context.physicalFilename);
      return races.map((race, index) => raceReport(race, plans[index]!, options.autofix === true));
    },
    clonedMaps() {
      return findClonedMaps(model()).map((cloned) => ({
        node: cloned.ref,
        data: { ...cloned.access, via: cloned.via === 'workerData' ? 'workerData' : 'postMessage', line: line(cloned.ref), writeLine: line(cloned.writer.node) },
      }));
    },
    latePublications() {
      const { sourceCode } = context;
      return findLatePublications(model()).map(({ write, suspension, handler }) => ({
        node: write.node,
        data: {
          kind: kindLabel(write.map.kind),
          name: write.map.name,
          key: sourceCode.getText(write.key!),
          writeLine: line(write.node),
          suspension: suspensionWord(suspension.node),
          awaitLine: line(suspension.node),
          handler: handler.label,
          handlerLine: line(handler.origin),
        },
      }));
    },
    staleTimers() {
      const { sourceCode } = context;
      return findStaleTimers(model()).map(({ timer, removal, write }) => ({
        node: timer,
        data: {
          kind: kindLabel(removal.map.kind),
          name: removal.map.name,
          key: sourceCode.getText(removal.key!),
          line: line(timer),
          delay: timer.arguments[1] ? sourceCode.getText(timer.arguments[1]) : 'a tick',
          writeLine: line(write.node),
        },
      }));
    },
  };
}

/** The guards option as a matcher; a pattern that is not a regular expression fails with its name. */
function guardMatcher(ruleId: string, guards: readonly string[]): GuardMatcher {
  for (const guard of guards) {
    try {
      new GuardMatcher([guard]);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw Object.assign(new SyntaxError(`option "guards" of ${ruleId}: ${JSON.stringify(guard)} is not a valid regular expression (${why})`), {
        code: 'ERR_MAPRACE_INVALID_OPTION',
      });
    }
  }
  return new GuardMatcher(guards);
}

const modelCache = new WeakMap<TSESLint.SourceCode, Map<string, FileModel>>();

function modelOf(sourceCode: TSESLint.SourceCode, safeTypes: readonly string[]): FileModel {
  let byOptions = modelCache.get(sourceCode);
  if (!byOptions) modelCache.set(sourceCode, (byOptions = new Map()));
  const key = [...safeTypes].sort().join('\u0000');
  let model = byOptions.get(key);
  if (!model) byOptions.set(key, (model = new FileModel(sourceCode, new Set(safeTypes))));
  return model;
}

function raceReport(race: Race, plan: Plan, autofix: boolean): RaceReport {
  const { section } = race;
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
  const fix = plan.fix && autofix && !plan.fix.suggestionOnly ? plan.fix.fix : null;
  if (section.type === 'live-loop') {
    const loop = section.loop.node as TSESTree.ForOfStatement;
    return { messageId: 'liveIteration', loc: { start: loop.loc.start, end: loop.right.loc.end }, data: { ...base, loopLine: line(loop) }, suggest, fix };
  }
  const { read, write } = section;
  return {
    messageId: 'readWriteRace',
    loc: { start: read.node.loc.start, end: write.node.loc.end },
    data: { ...base, readLine: line(read.node), writeLine: line(write.node), advice: adviceFor(plan) },
    suggest,
    fix,
  };
}

function adviceFor(plan: Plan): string {
  const id = plan.fix?.id;
  const what =
    id === 'useGetOrCompute'
      ? 'Use SafeMap.getOrCompute or guard the section.'
      : id === 'useUpdate'
        ? 'Use SafeMap.update or guard the section.'
        : 'Guard the section (SafeMap.withLock, or a lock around it).';
  if (plan.reason) return `${what} No automatic fix: ${plan.reason}.`;
  if (plan.fix?.suggestionOnly) return `${what} Suggestion only, not applied by --fix: ${plan.fix.suggestionOnly}.`;
  return what;
}

function suspensionWord(node: TSESTree.Node): string {
  if (node.type === 'YieldExpression') return 'a yield';
  if (node.type === 'AwaitExpression') return 'an await';
  if (node.type === 'VariableDeclaration') return 'an await using';
  return 'a for await';
}
