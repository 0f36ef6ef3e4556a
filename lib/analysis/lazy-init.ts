/**
 * Lazy initialisation across an await: a shared field or variable tested, then replaced with a
 * value the task awaited — `if (!this.token) this.token = await this.auth.refresh()`,
 * `this.client ??= await connect()`, `if (!client) client = await connect(); return client`.
 * Every task that runs the test before the first one assigns starts its own refresh; the last to
 * finish overwrites the others (Go: a data race on the field). Storing the pending promise before
 * any await (`this.tokenPromise ??= this.refresh()`) is the fix, and is silent here: its value is
 * no awaited one. The gap may also be a continuation (see continuations.ts): `if (!this.token)
 * this.auth.refresh().then((token) => { this.token = token; })` stores what the callback is given.
 *
 * What is no such section: a local variable; a constructor filling its own instance; a write that
 * no test of the same field gates; a value not awaited (`if (!this.x) this.x = compute()`); a
 * write under a guard; and a re-check after the await (`const t = await refresh(); if
 * (!this.token) this.token = t`): it still refreshes twice, but the first value stays and every
 * caller sees one token, so it is no lost value.
 */
import { AST_NODE_TYPES, ASTUtils, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { calleeText, contains, enclosingClass, enclosingFunction, isConstructorThisWrite, isFunction, outermost, propertyName, unwrap, walkAll, walkOwnBody, type FunctionNode } from './ast.js';
import { continuationCallbacks, continuationGap } from './continuations.js';
import type { Access, FileModel, Suspension } from './file-model.js';
import type { MapBinding } from './maps.js';
import { exitsEarly, type GuardMatcher } from './sections.js';

/** A field or variable that outlives one call: where it lives, as the race checks ask of a map. */
export interface SharedValue extends Pick<MapBinding, 'scope' | 'declaredIn'> {
  /** How the source names it: `this.token`, `client`. */
  name: string;
}

/** A read or an assignment of a shared value, in the shape the race checks take. */
export interface ValueAccess extends Pick<Access, 'node' | 'ref' | 'owner' | 'identity'> {
  map: SharedValue;
}

export interface LazyInitSection {
  type: 'lazy-init';
  /** The read of the value in the test that gates the assignment (the target itself for `??=` / `||=`). */
  read: ValueAccess;
  /** The assignment. */
  write: ValueAccess;
  /** The await whose result is assigned. */
  suspension: Suspension;
  /** Every assignment of the value in the file: who else can replace it meanwhile. */
  writes: ValueAccess[];
}

/** The lazy initialisations of a root (a function's own body or a loop body). */
export function lazyInitsIn(model: FileModel, root: FunctionNode | TSESTree.Statement, guards: GuardMatcher): LazyInitSection[] {
  const suspensions = model.within(model.suspensions, root);
  const owner = isFunction(root) ? root : enclosingFunction(root);
  const sections: LazyInitSection[] = [];
  // `load().then((value) => { this.x = value; })`: the callback's assignment runs after the call's gap
  const continuations = model.within(model.calls, root).flatMap(({ node, owner: caller }) =>
    continuationCallbacks(node).map((callback) => ({ callback, suspension: { node, owner: caller } })),
  );
  if (suspensions.length === 0 && continuations.length === 0) return [];
  const events = assignmentsOf(model);
  const candidates = [
    ...model.within(events, root).map(({ node }) => ({ assignment: node, continuation: undefined })),
    ...continuations.flatMap((continuation) => model.within(events, continuation.callback).map(({ node }) => ({ assignment: node, continuation }))),
  ];
  for (const { assignment, continuation } of candidates) {
    if (!['=', '??=', '||='].includes(assignment.operator)) continue;
    const write = valueAccess(model, assignment.left, assignment);
    if (!write || isConstructorThisWrite(write.ref, owner)) continue;
    const suspension = continuation ? resolvedIn(assignment, continuation) : awaitedIn(model, assignment, suspensions);
    if (!suspension || (continuation && cachedPromise(model, continuation.suspension.node, root))) continue;
    const gate = assignment.operator === '=' || continuation ? gateOf(model, assignment, write.identity, root) : assignment.left;
    // the test must come before the await: a re-check after it keeps the first value
    if (!gate || suspension.node.range[0] < gate.range[1]) continue;
    if (guards.guards(model, gate) || guards.guards(model, assignment)) continue;
    sections.push({
      type: 'lazy-init',
      read: { ...write, node: gate, ref: gate },
      write,
      suspension,
      writes: writesOf(model).get(write.identity) ?? [],
    });
  }
  return sections;
}

/** What the message says the racing tasks each run: `this.auth.refresh()`, `connect()`. */
export function awaitedCall(suspension: Suspension): string {
  const node = suspension.node;
  let value = node.type === AST_NODE_TYPES.AwaitExpression ? unwrap(node.argument) : node;
  // `refresh().then(…)`: the call whose result the callback gets
  const at = continuationGap(value)?.at;
  if (at?.parent?.type === AST_NODE_TYPES.MemberExpression) value = unwrap(at.parent.object);
  const name = value.type === AST_NODE_TYPES.CallExpression ? calleeText(value.callee) : null;
  return name ? `${name}()` : 'awaited work';
}

/** A shared value a reference names (a field through `this`, a module or enclosing function's `let`), or null for a local. */
function valueAccess(model: FileModel, target: TSESTree.Node, node: TSESTree.Node): ValueAccess | null {
  const ref = unwrap(target);
  const owner = enclosingFunction(node);
  const identity = model.resolver.identity(ref);
  if (identity === null) return null;
  if (ref.type === AST_NODE_TYPES.MemberExpression) {
    if (ref.object.type !== AST_NODE_TYPES.ThisExpression || ref.computed || !enclosingClass(ref)) return null;
    return { node, ref, owner, identity, map: { name: model.sourceCode.getText(ref), scope: 'class', declaredIn: null } };
  }
  if (ref.type !== AST_NODE_TYPES.Identifier) return null;
  const definition = (identity as TSESLint.Scope.Variable).defs[0];
  if (definition?.type !== 'Variable') return null;
  const declaredIn = enclosingFunction(definition.name);
  // a local of the function itself is the task's own
  if (declaredIn !== null && (declaredIn === owner || !owner || !contains(declaredIn, owner))) return null;
  return { node, ref, owner, identity, map: { name: ref.name, scope: declaredIn ? 'function' : 'module', declaredIn } };
}

/**
 * The await whose result the assignment stores: one in its right side (`x = await f()`,
 * `x = (await f()).token`), or the one a variable it stores was given (`const t = await f(); x =
 * t`, `x = res.token`) before the assignment.
 */
function awaitedIn(model: FileModel, assignment: TSESTree.AssignmentExpression, suspensions: readonly Suspension[]): Suspension | null {
  const direct = suspensions.find((suspension) => contains(assignment.right, suspension.node));
  if (direct) return direct;
  let value = unwrap(assignment.right);
  while (value.type === AST_NODE_TYPES.MemberExpression) value = unwrap(value.object);
  if (value.type !== AST_NODE_TYPES.Identifier) return null;
  const variable = ASTUtils.findVariable(model.sourceCode.getScope(value), value);
  const given = variable?.references
    .filter((reference) => reference.isWrite() && reference.writeExpr && reference.identifier.range[1] <= assignment.range[0])
    .at(-1)?.writeExpr;
  return (given && suspensions.find((suspension) => contains(given, suspension.node))) ?? null;
}

/**
 * True when the whole promise chain a continuation belongs to (`refresh().then((t) => (this.token
 * = t)).finally(…)`) is itself stored into a shared field or variable in the same synchronous
 * step, by `??=` / `||=` or by `=` under a test of that field: a single-flight cache, where every
 * caller awaits the one refresh.
 */
function cachedPromise(model: FileModel, call: TSESTree.Node, root: TSESTree.Node): boolean {
  let chain = outermost(call);
  while (chain.parent?.type === AST_NODE_TYPES.MemberExpression && chain.parent.object === chain && chain.parent.parent?.type === AST_NODE_TYPES.CallExpression && chain.parent.parent.callee === chain.parent) {
    if (!['then', 'catch', 'finally'].includes(propertyName(chain.parent) ?? '')) return false;
    chain = outermost(chain.parent.parent);
  }
  const assignment = chain.parent;
  if (assignment?.type !== AST_NODE_TYPES.AssignmentExpression || assignment.right !== chain) return false;
  const cache = valueAccess(model, assignment.left, assignment);
  if (!cache) return false;
  if (assignment.operator === '??=' || assignment.operator === '||=') return true;
  return assignment.operator === '=' && gateOf(model, assignment, cache.identity, root) !== null;
}

/** The continuation's gap when the assignment stores what the callback was given (`(token) => { this.token = token; }`). */
function resolvedIn(assignment: TSESTree.AssignmentExpression, { callback, suspension }: { callback: FunctionNode; suspension: Suspension }): Suspension | null {
  let value = unwrap(assignment.right);
  while (value.type === AST_NODE_TYPES.MemberExpression) value = unwrap(value.object);
  const given = callback.params.some((parameter) => parameter.type === AST_NODE_TYPES.Identifier && value.type === AST_NODE_TYPES.Identifier && parameter.name === value.name);
  return given ? suspension : null;
}

/**
 * The read of the same value that decides the assignment runs or what it stores: in the left of
 * `x = x ?? await f()` / `x = x || await f()`, in the test of an `if`, `?:` or `||` / `&&` around
 * it, or of an early exit before it (`if (this.token) return this.token;`).
 */
function gateOf(model: FileModel, assignment: TSESTree.AssignmentExpression, identity: object | string, root: TSESTree.Node): TSESTree.Node | null {
  const readIn = (test: TSESTree.Node): TSESTree.Node | null => {
    let found: TSESTree.Node | null = null;
    walkAll(test, model.sourceCode.visitorKeys, (node) => {
      if ((node.type === AST_NODE_TYPES.Identifier || node.type === AST_NODE_TYPES.MemberExpression) && model.resolver.identity(node) === identity) {
        if (!found || node.range[0] < found.range[0]) found = node;
      }
    });
    return found;
  };
  // this.client = this.client ?? await connect(): the old value tested in the assigned expression
  const right = unwrap(assignment.right);
  if (right.type === AST_NODE_TYPES.LogicalExpression && right.operator !== '&&') {
    const read = readIn(right.left);
    if (read) return read;
  }
  for (let current: TSESTree.Node = assignment; current.parent && current !== root; current = current.parent) {
    const parent: TSESTree.Node = current.parent;
    if ((parent.type === AST_NODE_TYPES.IfStatement || parent.type === AST_NODE_TYPES.ConditionalExpression) && parent.test !== current) {
      const read = readIn(parent.test);
      if (read) return read;
    }
    if (parent.type === AST_NODE_TYPES.LogicalExpression && parent.right === current) {
      const read = readIn(parent.left);
      if (read) return read;
    }
  }
  let gate: TSESTree.Node | null = null;
  walkOwnBody(root, model.sourceCode.visitorKeys, (node) => {
    if (gate || node.type !== AST_NODE_TYPES.IfStatement || node.range[1] > assignment.range[0]) return;
    if (!node.parent || !contains(node.parent, assignment) || node.alternate || !exitsEarly(node.consequent)) return;
    gate = readIn(node.test);
  });
  return gate;
}

interface AssignmentEvent {
  node: TSESTree.AssignmentExpression;
  owner: FunctionNode | null;
}

const assignmentEvents = new WeakMap<FileModel, AssignmentEvent[]>();

/** The file's assignments with the function each is in, collected once per file (for `model.within`). */
function assignmentsOf(model: FileModel): AssignmentEvent[] {
  let events = assignmentEvents.get(model);
  if (!events) assignmentEvents.set(model, (events = model.assignments.map((node) => ({ node, owner: enclosingFunction(node) }))));
  return events;
}

const valueWrites = new WeakMap<FileModel, Map<object | string, ValueAccess[]>>();

/** Every assignment of each shared value in the file (declarations' initialisers left out), by value, once per file. */
function writesOf(model: FileModel): Map<object | string, ValueAccess[]> {
  let byValue = valueWrites.get(model);
  if (byValue) return byValue;
  byValue = new Map();
  for (const assignment of model.assignments) {
    const write = valueAccess(model, assignment.left, assignment);
    if (!write) continue;
    const list = byValue.get(write.identity);
    if (list) list.push(write);
    else byValue.set(write.identity, [write]);
  }
  valueWrites.set(model, byValue);
  return byValue;
}
