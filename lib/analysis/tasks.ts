/**
 * What starts concurrent tasks. Each rule watches one source; a source yields groups of tasks
 * that run at the same time (the promises of one Promise.all, the runs of one timer callback, the
 * runs of one message handler). A task is a function (or a loop body) and whether many instances
 * of it run at once: a callback mapped over an array, a setInterval callback, a message handler.
 */
import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import { calleeText, enclosingFunction, isFunction, propertyName, unwrap, type FunctionNode } from './ast.js';
import { entryGroups } from './entries.js';
import { continuationsIn } from './continuations.js';
import type { FileModel } from './file-model.js';

export type SourceKind = 'promise-all' | 'timer' | 'worker-message' | 'async-entry';

/** The sources whose tasks the file starts itself; what they report, the entry rule leaves to them. */
export const inFileSources: readonly SourceKind[] = ['promise-all', 'timer', 'worker-message'];

export interface Task {
  /** The function the task runs, or the body of a `for await` loop. */
  root: FunctionNode | TSESTree.Statement;
  /** True when instances of the task overlap one another. */
  many: boolean;
}

export interface TaskGroup {
  /** The call that starts the tasks (Promise.all, setInterval, on('message'), …). */
  origin: TSESTree.Node;
  /** How messages name the tasks: "Promise.all tasks", "a setInterval callback". */
  label: string;
  tasks: Task[];
  /** How messages name another instance of a task, when this group says it its own way. */
  overlap?: string;
  /** True for a root the task reaches whose sections another group reports. */
  reportedElsewhere?: (root: TSESTree.Node) => boolean;
}

const combinators = new Set(['all', 'allSettled', 'any', 'race']);
const timerFunctions = new Set(['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask']);
export const messageRegistrars = new Set(['on', 'once', 'addEventListener', 'addListener']);

/** The `Promise` combinator a call is (`all`, `allSettled`, `any`, `race`), or null. */
export function combinatorOf(call: TSESTree.CallExpression): string | null {
  const callee = unwrap(call.callee);
  if (callee.type !== AST_NODE_TYPES.MemberExpression || unwrap(callee.object).type !== AST_NODE_TYPES.Identifier) return null;
  if ((unwrap(callee.object) as TSESTree.Identifier).name !== 'Promise') return null;
  const method = propertyName(callee);
  return method !== null && combinators.has(method) ? method : null;
}

/** The timer a call hands its callback to (`setTimeout` … `process.nextTick`, also via `globalThis.`), or null. */
export function timerOf(call: TSESTree.CallExpression | TSESTree.NewExpression): string | null {
  const name = calleeText(call.callee);
  if (!name) return null;
  const base = name.replace(/^(?:globalThis|window|timers)\./u, '');
  return timerFunctions.has(base) || base === 'process.nextTick' ? base : null;
}

/** The task groups of one source in a file. */
export function taskGroups(model: FileModel, source: SourceKind): TaskGroup[] {
  if (source === 'async-entry') return entryGroups(model, (root) => runsAcrossMessages(model, root));
  const groups: TaskGroup[] = [];
  for (const { node } of model.calls) {
    if (node.type !== AST_NODE_TYPES.CallExpression) continue;
    const group =
      source === 'promise-all' ? promiseCombination(model, node) : source === 'timer' ? timerCallback(model, node) : messageHandler(model, node);
    if (group) groups.push(group);
  }
  if (source === 'timer') groups.push(...intervalLoops(model));
  if (source === 'worker-message') groups.push(...onmessageAssignments(model));
  return groups;
}

// ---- Promise.all and friends ---------------------------------------------------------------------

function promiseCombination(model: FileModel, call: TSESTree.CallExpression): TaskGroup | null {
  const method = combinatorOf(call);
  if (!method || !call.arguments[0]) return null;
  const tasks = promisesOf(model, call.arguments[0], 0);
  if (tasks.length === 0) return null;
  return { origin: call, label: `Promise.${method} tasks`, tasks: mergeTasks(tasks) };
}

/** The tasks behind an expression whose value is an array (or iterable) of promises. */
function promisesOf(model: FileModel, expression: TSESTree.Node, depth: number): Task[] {
  const value = unwrap(expression);
  if (value.type === AST_NODE_TYPES.ArrayExpression) {
    return value.elements.flatMap((element) => {
      if (!element) return [];
      if (element.type === AST_NODE_TYPES.SpreadElement) return promisesOf(model, element.argument, depth).map(asMany);
      return promiseOf(model, element, false);
    });
  }
  if (value.type === AST_NODE_TYPES.CallExpression) {
    const callee = unwrap(value.callee);
    const name = callee.type === AST_NODE_TYPES.MemberExpression ? propertyName(callee) : null;
    // xs.map(cb), xs.flatMap(cb), Array.from(xs, cb): one callback, many instances
    const mapper = name === 'map' || name === 'flatMap' ? value.arguments[0] : calleeText(value.callee) === 'Array.from' ? value.arguments[1] : undefined;
    if (mapper) return model.functionsOf(mapper).map((root) => ({ root, many: true }));
  }
  if (value.type === AST_NODE_TYPES.Identifier && depth < 2) {
    // an array built before: `const ps = xs.map(…)`, or `ps.push(load(x))` in a loop
    const variable = ASTUtils.findVariable(model.sourceCode.getScope(value), value);
    const definition = variable?.defs[0];
    const tasks: Task[] = [];
    if (definition?.node.type === AST_NODE_TYPES.VariableDeclarator && definition.node.init) {
      tasks.push(...promisesOf(model, definition.node.init, depth + 1));
    }
    for (const reference of variable?.references ?? []) {
      const member = reference.identifier.parent;
      if (member?.type !== AST_NODE_TYPES.MemberExpression || propertyName(member) !== 'push') continue;
      const push = member.parent;
      if (push?.type !== AST_NODE_TYPES.CallExpression || push.callee !== member) continue;
      const inLoop = isInLoop(push);
      for (const argument of push.arguments) tasks.push(...promiseOf(model, pushedValue(model, argument), inLoop));
    }
    return tasks;
  }
  return [];
}

/** What a pushed argument holds: `const p = load(id); ps.push(p)` pushes `load(id)`. */
function pushedValue(model: FileModel, argument: TSESTree.Node): TSESTree.Node {
  const value = unwrap(argument);
  if (value.type !== AST_NODE_TYPES.Identifier) return argument;
  const variable = ASTUtils.findVariable(model.sourceCode.getScope(value), value);
  const definition = variable?.defs[0];
  if (variable?.defs.length !== 1 || definition?.node.type !== AST_NODE_TYPES.VariableDeclarator || !definition.node.init) return argument;
  if (variable.references.some((reference) => reference.isWrite() && !reference.init)) return argument;
  return definition.node.init;
}

/** The task of one promise expression: a call of a function in this file, or an async IIFE. */
function promiseOf(model: FileModel, expression: TSESTree.Node, many: boolean): Task[] {
  const value = unwrap(expression);
  if (value.type !== AST_NODE_TYPES.CallExpression) return [];
  const callee = unwrap(value.callee);
  if (isFunction(callee)) return [{ root: callee, many }];
  return model.calleesOf(value).map((root) => ({ root, many }));
}

function asMany(task: Task): Task {
  return { ...task, many: true };
}

/** One task per root; a root that appears twice runs as many instances. */
function mergeTasks(tasks: Task[]): Task[] {
  const byRoot = new Map<TSESTree.Node, Task>();
  for (const task of tasks) {
    const known = byRoot.get(task.root);
    byRoot.set(task.root, known ? { root: task.root, many: true } : task);
  }
  return [...byRoot.values()];
}

/** True when node runs on every turn of a loop of its function (or of an `xs.forEach` callback). */
export function isInLoop(node: TSESTree.Node): boolean {
  for (let current = node.parent; current && !isFunction(current); current = current.parent) {
    switch (current.type) {
      case AST_NODE_TYPES.ForStatement:
      case AST_NODE_TYPES.ForOfStatement:
      case AST_NODE_TYPES.ForInStatement:
      case AST_NODE_TYPES.WhileStatement:
      case AST_NODE_TYPES.DoWhileStatement:
        return true;
      default:
    }
  }
  // a push inside a callback of xs.forEach(…) runs once per element
  const fn = enclosingFunction(node);
  const call = fn?.parent;
  return call?.type === AST_NODE_TYPES.CallExpression && call.arguments.some((argument) => argument === fn) && /\.forEach$/u.test(calleeText(call.callee) ?? '');
}

// ---- timers --------------------------------------------------------------------------------------

function timerCallback(model: FileModel, call: TSESTree.CallExpression): TaskGroup | null {
  const base = timerOf(call);
  if (!base || !call.arguments[0]) return null;
  if (isPromisesTimer(model, call)) return null;
  const roots = model.functionsOf(call.arguments[0]);
  if (roots.length === 0) return null;
  const many = base === 'setInterval';
  return { origin: call, label: `a ${base} callback`, tasks: roots.map((root) => ({ root, many })) };
}

/**
 * True when the callee is `setInterval` / `setTimeout` of 'node:timers/promises': imported by
 * name (`import { setInterval as every }`) or through the module (`import timers from …`,
 * `import * as timers from …`, then `timers.setInterval(…)`).
 */
function isPromisesTimer(model: FileModel, call: TSESTree.CallExpression): boolean {
  const callee = unwrap(call.callee);
  let binding: TSESTree.Node = callee;
  if (callee.type === AST_NODE_TYPES.MemberExpression) {
    if (!/^set(?:Interval|Timeout|Immediate)$/u.test(propertyName(callee) ?? '')) return false;
    binding = unwrap(callee.object);
  }
  if (binding.type !== AST_NODE_TYPES.Identifier) return false;
  const definition = ASTUtils.findVariable(model.sourceCode.getScope(binding), binding)?.defs[0];
  if (definition?.type !== 'ImportBinding') return false;
  if (callee.type === AST_NODE_TYPES.MemberExpression && definition.node.type === AST_NODE_TYPES.ImportSpecifier) return false;
  const declaration = definition.parent;
  return declaration?.type === AST_NODE_TYPES.ImportDeclaration && /^(?:node:)?timers\/promises$/u.test(declaration.source.value);
}

/** `for await (const _ of setInterval(ms))` from timers/promises: the body runs on every tick. */
function intervalLoops(model: FileModel): TaskGroup[] {
  const groups: TaskGroup[] = [];
  for (const loop of model.loops) {
    if (!loop.await) continue;
    const right = unwrap(loop.right);
    if (right.type !== AST_NODE_TYPES.CallExpression || !isPromisesTimer(model, right)) continue;
    groups.push({ origin: right, label: 'a timers/promises setInterval loop', tasks: [{ root: loop.body, many: false }] });
  }
  return groups;
}

// ---- worker and port messages --------------------------------------------------------------------

function messageHandler(model: FileModel, call: TSESTree.CallExpression): TaskGroup | null {
  const callee = unwrap(call.callee);
  const method = callee.type === AST_NODE_TYPES.MemberExpression ? propertyName(callee) : callee.type === AST_NODE_TYPES.Identifier ? callee.name : null;
  if (!method || !messageRegistrars.has(method)) return null;
  const [event, handler] = call.arguments;
  if (event?.type !== AST_NODE_TYPES.Literal || event.value !== 'message' || !handler) return null;
  const roots = model.functionsOf(handler);
  if (roots.length === 0) return null;
  const many = method !== 'once';
  return { origin: call, label: `a '${event.value}' handler`, tasks: roots.map((root) => ({ root, many: many && runsAcrossMessages(model, root) })) };
}

function onmessageAssignments(model: FileModel): TaskGroup[] {
  const groups: TaskGroup[] = [];
  for (const node of model.assignments) {
    const target = unwrap(node.left);
    const name =
      target.type === AST_NODE_TYPES.Identifier ? target.name : target.type === AST_NODE_TYPES.MemberExpression ? propertyName(target) : null;
    if (name !== 'onmessage') continue;
    const roots = model.functionsOf(node.right);
    if (roots.length > 0) groups.push({ origin: node, label: "an 'onmessage' handler", tasks: roots.map((root) => ({ root, many: runsAcrossMessages(model, root) })) });
  }
  return groups;
}

/**
 * True when a run of the handler can still be going when the next message arrives: the handler
 * is async, it writes a map in a `.then` (or completion) callback, or it starts an async function of
 * this file without waiting for it (`(msg) => { void work(msg.id); }`), as a setInterval callback
 * that does so overlaps itself.
 */
function runsAcrossMessages(model: FileModel, root: FunctionNode | TSESTree.Statement): boolean {
  if (!isFunction(root)) return false;
  if (root.async || continuationsIn(model, root).length > 0) return true;
  return model.within(model.calls, root).some(({ node }) => {
    const callee = unwrap(node.callee);
    if (isFunction(callee)) return callee.async;
    return model.calleesOf(node).some((fn) => fn.async || fn.generator);
  });
}
