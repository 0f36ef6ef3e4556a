/**
 * Continuations: the gap of a task that is not an `await` but a callback run after the task has
 * yielded — `load(k).then((v) => m.set(k, v))`, `.catch` / `.finally` callbacks, and a Node-style
 * completion callback (`fs.readFile(path, (err, data) => …)`). A read of the enclosing function
 * before the call, deciding or feeding a write inside the callback, spans the gap as surely as
 * one across an `await`: every other task runs between them.
 */
import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import { contains, isFunction, propertyName, unwrap, type FunctionNode } from './ast.js';
import type { Access, FileModel, Suspension } from './file-model.js';
import { messageRegistrars, timerOf } from './tasks.js';

/** A call whose callbacks run after the caller yields; its suspension is the call itself. */
export interface Continuation {
  suspension: Suspension;
  callbacks: FunctionNode[];
  /** The writes (and updates) of maps within the callbacks, nested functions included. */
  writes: Access[];
}

const promiseMethods = new Set(['then', 'catch', 'finally']);
/** First parameter of a Node-style completion callback: `(err, data) => …`. */
const errorParameter = /^(?:e|err|error)$/u;
/** Calls whose callbacks run synchronously (or are no completion callbacks) though their first parameter may be named `e`. */
const synchronousMethods = new Set(['forEach', 'map', 'flatMap', 'filter', 'reduce', 'reduceRight', 'some', 'every', 'find', 'findIndex', 'findLast', 'findLastIndex', 'sort', 'toSorted']);

/** The continuations a root (a function or a loop body) starts with calls of its own. */
export function continuationsIn(model: FileModel, root: FunctionNode | TSESTree.Statement): Continuation[] {
  const found: Continuation[] = [];
  for (const { node, owner } of model.within(model.calls, root)) {
    const callbacks = continuationCallbacks(node);
    if (callbacks.length === 0) continue;
    const writes = writesIn(model).filter((access) => callbacks.some((callback) => contains(callback, access.node)));
    if (writes.length > 0) found.push({ suspension: { node, owner }, callbacks, writes });
  }
  return found;
}

const fileWrites = new WeakMap<FileModel, Access[]>();

/** The file's writes and updates of maps, collected once per file. */
function writesIn(model: FileModel): Access[] {
  let writes = fileWrites.get(model);
  if (!writes) fileWrites.set(model, (writes = model.accesses.filter((access) => access.kind === 'write' || access.kind === 'update')));
  return writes;
}

/**
 * The continuation that separates a read of the root from a write in one of its callbacks: the
 * read comes before the callback (it runs in the same synchronous step as the call), the write
 * within it.
 */
export function continuationAcross(continuations: readonly Continuation[], read: Access, write: Access): Suspension | undefined {
  return continuations.find(
    (continuation) =>
      continuation.writes.includes(write) &&
      continuation.callbacks.some((callback) => contains(callback, write.node) && read.node.range[1] <= callback.range[0]),
  )?.suspension;
}

/**
 * The inline callbacks a call runs after the caller yields: the arguments of `.then` / `.catch` /
 * `.finally`, or the last argument of another call when it is a function whose first parameter
 * is named like an error (`err`, `error`, `e`) — not an event handler, a timer (their callbacks
 * are tasks of their own) or an array method.
 */
export function continuationCallbacks(call: TSESTree.CallExpression | TSESTree.NewExpression): FunctionNode[] {
  if (call.type !== AST_NODE_TYPES.CallExpression) return [];
  const callee = unwrap(call.callee);
  const method = callee.type === AST_NODE_TYPES.MemberExpression ? propertyName(callee) : null;
  if (method !== null && promiseMethods.has(method)) return call.arguments.map(unwrap).filter(isFunction);
  const last = call.arguments.at(-1);
  const callback = last ? unwrap(last) : null;
  if (!isFunction(callback)) return [];
  const first = callback.params[0];
  if (first?.type !== AST_NODE_TYPES.Identifier || !errorParameter.test(first.name)) return [];
  const name = method ?? (callee.type === AST_NODE_TYPES.Identifier ? callee.name : '');
  if (messageRegistrars.has(name) || synchronousMethods.has(name) || /^use[A-Z]/u.test(name) || timerOf(call) !== null) return [];
  return [callback];
}

/**
 * How a message names the gap of a continuation call and where it is: `a .then callback` at the
 * `.then`, `a callback` at the callback; null for a call that is no continuation.
 */
export function continuationGap(node: TSESTree.Node): { word: string; at: TSESTree.Node } | null {
  if (node.type !== AST_NODE_TYPES.CallExpression) return null;
  const callee = unwrap(node.callee);
  const method = callee.type === AST_NODE_TYPES.MemberExpression ? propertyName(callee) : null;
  if (method !== null && promiseMethods.has(method)) return { word: `a .${method} callback`, at: (callee as TSESTree.MemberExpression).property };
  const callback = continuationCallbacks(node)[0];
  return callback ? { word: 'a callback', at: callback } : null;
}
