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
  let byRoot = continuationsByRoot.get(model);
  if (!byRoot) continuationsByRoot.set(model, (byRoot = new WeakMap()));
  let found = byRoot.get(root);
  if (found) return found;
  found = [];
  for (const { node, owner } of model.within(model.calls, root)) {
    const callbacks = continuationCallbacks(node);
    if (callbacks.length === 0) continue;
    const writes = callbacks.flatMap((callback) => writesWithin(model, callback));
    if (writes.length > 0) found.push({ suspension: { node, owner }, callbacks, writes });
  }
  byRoot.set(root, found);
  return found;
}

/** Each root's continuations, computed once per file: every task group that reaches the root asks again. */
const continuationsByRoot = new WeakMap<FileModel, WeakMap<TSESTree.Node, Continuation[]>>();
/** The file's writes and updates of maps in source order, collected once per file. */
const fileWrites = new WeakMap<FileModel, Access[]>();

/** The writes and updates of maps within a node's range: a binary search in the file's writes. */
function writesWithin(model: FileModel, node: TSESTree.Node): Access[] {
  let writes = fileWrites.get(model);
  if (!writes) {
    writes = model.accesses.filter((access) => access.kind === 'write' || access.kind === 'update').sort((a, b) => a.node.range[0] - b.node.range[0]);
    fileWrites.set(model, writes);
  }
  let low = 0;
  let high = writes.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (writes[middle]!.node.range[0] < node.range[0]) low = middle + 1;
    else high = middle;
  }
  const found: Access[] = [];
  for (let i = low; i < writes.length && writes[i]!.node.range[0] < node.range[1]; i++) if (contains(node, writes[i]!.node)) found.push(writes[i]!);
  return found;
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
