/**
 * What the maprace rules share: their options (schema and defaults), their message texts,
 * and the analysis their `create` starts, which finds what they report. The rules differ in the
 * source of concurrent tasks they watch (and the worker rule also reports maps copied into
 * workers); the file model is built once per file and options and shared between them.
 */
import type { TSESLint, TSESTree } from '@typescript-eslint/utils';
import type { JSONSchema4 } from '@typescript-eslint/utils/json-schema';
import { continuationGap } from './continuations.js';
import { FileModel } from './file-model.js';
import { planFixes, type FixId, type Plan } from './fixes.js';
import { awaitedCall, type LazyInitSection } from './lazy-init.js';
import { findLatePublications } from './publications.js';
import { findClonedMaps, findRaces, kindLabel, line, type Race } from './races.js';
import { isDuplicateLoad } from './benign.js';
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
  /** Report read-through fills that only repeat a load (`duplicateLoad`), or leave them out. */
  duplicateLoads?: 'report' | 'off';
}

/** The messages of every maprace rule; the worker rule adds `clonedMap` and `latePublication`, the timer rule `staleTimer`. */
export type RaceMessageId = 'readWriteRace' | 'duplicateLoad' | 'liveIteration' | 'liveKeyIteration' | 'lazyInitRace' | FixId;
export type MessageId = RaceMessageId | 'clonedMap' | 'latePublication' | 'staleTimer';

/**
 * Where the fixes import SafeMap from by default: the `maprace` package, the runtime without the
 * plugin's dependencies (an import from `eslint-plugin-maprace/runtime` already in the file is
 * still used, see knownRuntimeModules in fixes.ts).
 */
export const defaultRuntimeModule = 'maprace';

/** The options every maprace rule defaults to (its `defaultOptions` is `[defaultMapRuleOptions]`). */
export const defaultMapRuleOptions: MapRuleOptions = { guards: [], safeTypes: [], runtimeModule: defaultRuntimeModule, autofix: false, duplicateLoads: 'report' };

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
      duplicateLoads: {
        type: 'string',
        enum: ['report', 'off'],
        description: 'Report read-through fills whose value depends only on the key (work repeated, no value lost), or leave them out.',
      },
    },
  },
];

/**
 * The texts of the messages, by id; each rule's `meta.messages` lists the ids it reports. A
 * report opens with the race in one sentence on a line of its own (what, where, inside what,
 * against whom); the Go parallel and the advice follow on the next line, which the maprace
 * command's output indents under the first.
 */
export const messageTexts: Record<MessageId, string> = {
  readWriteRace:
    "Lost update on {{kind}} '{{name}}': read on line {{readLine}}, {{suspension}} on line {{awaitLine}}, written on line {{writeLine}} in {{source}}, {{writer}}.\nGo: concurrent map read and map write. {{advice}}",
  duplicateLoad:
    "Duplicate load into {{kind}} '{{name}}': checked on line {{readLine}}, {{suspension}} on line {{awaitLine}}, filled on line {{writeLine}} in {{source}}, {{writer}}.\nTasks that miss at the same time each load the same entry: no value lost, work repeated. Go: concurrent map read and map write. {{advice}}",
  liveIteration:
    "Live iteration of {{kind}} '{{name}}': the loop on line {{loopLine}} waits at {{suspension}} on line {{awaitLine}} in {{source}}, {{writer}}.\nGo: concurrent map iteration and map write. Iterate a copy ([...{{name}}]) or SafeMap.snapshot().",
  liveKeyIteration:
    "Live for…in over {{kind}} '{{name}}': the loop on line {{loopLine}} waits at {{suspension}} on line {{awaitLine}} in {{source}}, {{writer}}.\nKeys deleted meanwhile are skipped and keys added may or may not be visited. Go: concurrent map iteration and map write. Iterate a copy of the keys (Object.keys({{name}})).",
  lazyInitRace:
    "Racy lazy initialisation of '{{name}}': checked on line {{readLine}}, {{suspension}} on line {{awaitLine}}, assigned on line {{writeLine}} in {{source}}, {{writer}}.\nEvery task that checks before the first one assigns runs its own {{call}}, and the last to finish overwrites the others. Go: a data race on '{{name}}'. Store the pending promise ({{promise}} ??= …) and await it, so every caller shares one.",
  clonedMap:
    "{{kind}} '{{name}}' is sent to a worker through {{via}} on line {{line}} and written on line {{writeLine}}: the worker gets a copy.\nStructured clone copies it, so writes on either side are never seen by the other. Send each change to the worker as a message, post a fresh snapshot (Object.fromEntries({{name}})) whenever the worker needs the current state, or share one map in shared memory: ShardedMap.shared() from 'maprace', post its handle, ShardedMap.attach(handle) in the worker.",
  latePublication:
    "Late publication in {{kind}} '{{name}}': key '{{key}}' is set on line {{writeLine}} only after {{suspension}} on line {{awaitLine}} that follows the request, but {{handler}} (line {{handlerLine}}) reads it.\nA reply that arrives during the await finds no entry and is dropped. Set the entry before sending.",
  staleTimer:
    "Stale timer on {{kind}} '{{name}}': setTimeout on line {{line}} deletes key '{{key}}' after {{delay}}, but its handle is dropped.\nWhen '{{key}}' is set again before it fires (line {{writeLine}} runs on every call), the old timer deletes the new entry. Keep the handle with the entry and clearTimeout it on the next set (or check the entry is still the one set).",
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
  messageId: 'readWriteRace' | 'duplicateLoad' | 'liveIteration' | 'liveKeyIteration' | 'lazyInitRace';
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
      const races = findRaces(model(), source, guards)
        .map((race) => ({ race, duplicateLoad: race.section.type === 'read-write' && isDuplicateLoad(model(), race.section.read, race.section.write) }))
        .filter(({ duplicateLoad }) => !duplicateLoad || options.duplicateLoads !== 'off');
      const plans = planFixes(model(), races.map(({ race }) => race.section), runtimeModule, context.physicalFilename);
      return races.map(({ race, duplicateLoad }, index) => raceReport(race, plans[index]!, options.autofix === true, duplicateLoad));
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

function raceReport(race: Race, plan: Plan, autofix: boolean, duplicateLoad: boolean): RaceReport {
  const { section } = race;
  if (section.type === 'lazy-init') return lazyInitReport(race, section);
  const first = section.type === 'read-write' ? section.read : section.loop;
  const base = {
    kind: kindLabel(first.map.kind),
    name: first.map.name,
    source: race.group.label,
    writer: race.writer,
    suspension: suspensionWord(section.suspension.node),
    awaitLine: suspensionLine(section.suspension.node),
  };
  const suggest = plan.fix ? [{ messageId: plan.fix.id, data: { name: first.map.name }, fix: plan.fix.fix }] : [];
  const fix = plan.fix && autofix && !plan.fix.suggestionOnly ? plan.fix.fix : null;
  if (section.type === 'live-loop') {
    const loop = section.loop.node as TSESTree.ForOfStatement | TSESTree.ForInStatement;
    return { messageId: loop.type === 'ForInStatement' ? 'liveKeyIteration' : 'liveIteration', loc: { start: loop.loc.start, end: loop.right.loc.end }, data: { ...base, loopLine: line(loop) }, suggest, fix };
  }
  const { read, write } = section;
  return {
    messageId: duplicateLoad ? 'duplicateLoad' : 'readWriteRace',
    loc: { start: read.node.loc.start, end: write.node.loc.end },
    data: { ...base, readLine: line(read.node), writeLine: line(write.node), advice: adviceFor(plan, duplicateLoad) },
    suggest,
    fix,
  };
}

/** A shared field or variable replaced with an awaited value after a test of it; no rewrite is offered. */
function lazyInitReport(race: Race, section: LazyInitSection): RaceReport {
  const { read, write, suspension } = section;
  const name = write.map.name;
  return {
    messageId: 'lazyInitRace',
    loc: { start: read.node.loc.start, end: write.node.loc.end },
    data: {
      name,
      readLine: line(read.node),
      writeLine: line(write.node),
      suspension: suspensionWord(suspension.node),
      awaitLine: suspensionLine(suspension.node),
      source: race.group.label,
      writer: race.writer,
      call: awaitedCall(suspension),
      promise: `${name}Promise`,
    },
    suggest: [],
    fix: null,
  };
}

function adviceFor(plan: Plan, duplicateLoad: boolean): string {
  const id = plan.fix?.id;
  const what = duplicateLoad
    ? 'Store the promise before awaiting, or use SafeMap.getOrCompute.'
    : id === 'useGetOrCompute'
      ? 'Use SafeMap.getOrCompute or guard the section.'
      : id === 'useUpdate'
        ? 'Use SafeMap.update or guard the section.'
        : 'Guard the section (SafeMap.withLock, or a lock around it).';
  if (plan.reason) return `${what} No automatic fix: ${plan.reason}.`;
  if (plan.fix?.suggestionOnly) return `${what} Suggestion only, not applied by --fix: ${plan.fix.suggestionOnly}.`;
  return what;
}

/** The line a message names for a suspension: a continuation's `.then` or callback, else the suspension's own. */
function suspensionLine(node: TSESTree.Node): number {
  return line(continuationGap(node)?.at ?? node);
}

function suspensionWord(node: TSESTree.Node): string {
  const gap = continuationGap(node);
  if (gap) return gap.word;
  if (node.type === 'YieldExpression') return 'a yield';
  if (node.type === 'AwaitExpression') return 'an await';
  if (node.type === 'VariableDeclaration') return 'an await using';
  return 'a for await';
}
