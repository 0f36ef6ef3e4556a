/**
 * Benign shapes: code that reads a map, suspends and writes it, yet loses nothing, and a fill that
 * repeats work without losing a value.
 *
 * - Own keys: instances of a task mapped over a snapshot of distinct keys (`[...m.keys()]`,
 *   `Object.keys(r)`, `[...new Set(ids)]`, `for (const id of idSet)`) that touch the map only at
 *   their own key cannot meet one another.
 * - A claim of the entry: `if (s.released) return; s.released = true; await …` before the
 *   suspension, so a second task with the same entry stops at the check.
 * - A re-check after the suspension: the write runs only when a fresh read finds the key absent,
 *   or keeps what is there (`m.set(k, m.get(k) ?? v)`).
 * - A re-entrancy flag: `if (busy) return; busy = true; try { … } finally { busy = false }`
 *   serializes the runs of a timer callback or a handler.
 * - A duplicate load: a read that only gates a fill whose value comes from the key alone, not
 *   from the old entry or other state: tasks that miss together each load, and nothing is lost.
 */
import { AST_NODE_TYPES, ASTUtils, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { contains, enclosingFunction, isConstructorThisWrite, isFunction, outermost, propertyName, sameText, unwrap, walkAll, type FunctionNode } from './ast.js';
import { writtenValue, type Access, type FileModel, type Suspension } from './file-model.js';
import { exitsEarly, holderVariable, polarity } from './sections.js';
import type { TaskGroup } from './tasks.js';

type Root = FunctionNode | TSESTree.Statement;
type Variable = TSESLint.Scope.Variable;

// ---- own keys ----------------------------------------------------------------------------------------

/**
 * True when every instance of the task touches the map only at its own key, and the keys are
 * distinct: the task is mapped over (or pushed from a loop over) a snapshot of distinct keys, and
 * each access of the map in the task's reach names that key, with no iteration, copy, `size` or
 * `clear`.
 */
export function ownKeysOnly(model: FileModel, access: Access, group: TaskGroup, root: Root, reach: ReadonlySet<Root>): boolean {
  if (!isFunction(root)) return false;
  const keys = taskKeys(model, group, root);
  if (keys.size === 0) return false;
  spreadKeys(model, keys, reach);
  for (const fn of reach) {
    for (const other of model.within(model.accesses, fn)) {
      if (other.identity !== access.identity) continue;
      if (other.kind === 'iterate' || other.kind === 'copy' || !other.key) return false;
      const key = unwrap(other.key);
      if (key.type !== AST_NODE_TYPES.Identifier) return false;
      const variable = ASTUtils.findVariable(model.sourceCode.getScope(key), key);
      if (!variable || !keys.has(variable)) return false;
    }
  }
  return true;
}

/** The variables holding the task's key: the mapped callback's element, or the loop variable a call passes on. */
function taskKeys(model: FileModel, group: TaskGroup, root: FunctionNode): Set<Variable> {
  const keys = new Set<Variable>();
  const mapping = mappingCall(model, group.origin);
  if (mapping && model.functionsOf(mapping.mapper).includes(root)) {
    const source = distinctSource(model, mapping.source);
    const parameter = source && keyPattern(root.params[0], source);
    if (parameter) addUnchanged(model, keys, parameter);
    return keys;
  }
  // `for (const id of idSet) pending.push(bump(id))`: the one call of the task, in a loop over
  // distinct keys, passes the loop's key (a second call, in the loop or another, could repeat it)
  const home = enclosingFunction(group.origin);
  const calls = model.calls.filter(({ node, owner }) => owner === home && model.calleesOf(node).includes(root));
  if (calls.length !== 1) return keys;
  const call = calls[0]!.node;
  const loop = enclosingLoop(call);
  const source = loop && distinctSource(model, loop.right);
  const declared = loop?.left.type === AST_NODE_TYPES.VariableDeclaration ? loop.left.declarations[0]?.id : undefined;
  const key = source && declared ? keyPattern(declared, source) : null;
  const index = key ? call.arguments.findIndex((argument) => unwrap(argument).type === AST_NODE_TYPES.Identifier && (unwrap(argument) as TSESTree.Identifier).name === key.name) : -1;
  const parameter = index >= 0 ? root.params[index] : undefined;
  if (parameter?.type === AST_NODE_TYPES.Identifier) addUnchanged(model, keys, parameter);
  return keys;
}

/** The `src.map(fn)` / `Array.from(src, fn)` a combinator is given, directly or through a `const`. */
function mappingCall(model: FileModel, origin: TSESTree.Node): { source: TSESTree.Node; mapper: TSESTree.Node } | null {
  if (origin.type !== AST_NODE_TYPES.CallExpression || !origin.arguments[0]) return null;
  let value = unwrap(origin.arguments[0]);
  if (value.type === AST_NODE_TYPES.Identifier) value = constInit(model, value) ?? value;
  if (value.type !== AST_NODE_TYPES.CallExpression) return null;
  const callee = unwrap(value.callee);
  if (callee.type === AST_NODE_TYPES.MemberExpression && ['map', 'flatMap'].includes(propertyName(callee) ?? '') && value.arguments[0]) {
    return { source: callee.object, mapper: value.arguments[0] };
  }
  if (isCall(value, 'Array.from') && value.arguments[0] && value.arguments[1]) return { source: value.arguments[0], mapper: value.arguments[1] };
  return null;
}

/**
 * What a snapshot of distinct keys yields, or null when its elements may repeat: `keys` for
 * `[...m.keys()]`, `Object.keys(r)`, `[...new Set(xs)]`, a Set; `entries` (key first) for
 * `Object.entries(r)`, `[...m]`, `[...m.entries()]` of a Map.
 */
function distinctSource(model: FileModel, node: TSESTree.Node): 'keys' | 'entries' | null {
  let value = unwrap(node);
  if (value.type === AST_NODE_TYPES.Identifier) {
    const init = constInit(model, value);
    if (init && unmutated(model, value)) return distinctSource(model, init);
    return iterableOf(model, value);
  }
  if (value.type === AST_NODE_TYPES.ArrayExpression) {
    if (value.elements.length !== 1 || value.elements[0]?.type !== AST_NODE_TYPES.SpreadElement) return null;
    value = unwrap(value.elements[0].argument);
    return iterableOf(model, value);
  }
  if (value.type !== AST_NODE_TYPES.CallExpression) return iterableOf(model, value);
  if (isCall(value, 'Object.keys') || isCall(value, 'Object.getOwnPropertyNames')) return 'keys';
  if (isCall(value, 'Object.entries')) return 'entries';
  if (isCall(value, 'Array.from') && value.arguments[0]) return iterableOf(model, unwrap(value.arguments[0]));
  return iterableOf(model, value);
}

/** What iterating a value yields when its elements are distinct keys: a Set, `new Set(…)`, `m.keys()`. */
function iterableOf(model: FileModel, value: TSESTree.Node): 'keys' | 'entries' | null {
  if (value.type === AST_NODE_TYPES.NewExpression && value.callee.type === AST_NODE_TYPES.Identifier) {
    return value.callee.name === 'Set' ? 'keys' : value.callee.name === 'Map' ? 'entries' : null;
  }
  if (value.type === AST_NODE_TYPES.CallExpression) {
    const callee = unwrap(value.callee);
    if (callee.type !== AST_NODE_TYPES.MemberExpression) return null;
    const kind = model.resolver.resolve(unwrap(callee.object))?.kind;
    const method = propertyName(callee);
    if (!kind || kind === 'record') return null;
    if (method === 'keys') return 'keys';
    if (method === 'values') return kind === 'Set' ? 'keys' : null;
    if (method === 'entries') return 'entries';
    return null;
  }
  const kind = model.resolver.resolve(value)?.kind;
  if (kind === 'Set') return 'keys';
  return kind && kind !== 'record' && kind !== 'WeakMap' && kind !== 'WeakSet' ? 'entries' : null;
}

/** The identifier that holds the key of an element: the element itself, or the first of an entry. */
function keyPattern(pattern: TSESTree.Node | undefined, source: 'keys' | 'entries'): TSESTree.Identifier | null {
  if (!pattern) return null;
  if (source === 'keys') return pattern.type === AST_NODE_TYPES.Identifier ? pattern : null;
  if (pattern.type !== AST_NODE_TYPES.ArrayPattern) return null;
  const first = pattern.elements[0];
  return first?.type === AST_NODE_TYPES.Identifier ? first : null;
}

/** Adds the variable an identifier declares, when nothing assigns it afterwards. */
function addUnchanged(model: FileModel, keys: Set<Variable>, declared: TSESTree.Identifier): void {
  const variable = ASTUtils.findVariable(model.sourceCode.getScope(declared), declared);
  if (variable && variable.references.every((reference) => !reference.isWrite() || reference.init)) keys.add(variable);
}

/** The key passed on: a parameter of a function of the reach that every call in the reach hands a key. */
function spreadKeys(model: FileModel, keys: Set<Variable>, reach: ReadonlySet<Root>): void {
  for (let changed = true; changed; ) {
    changed = false;
    for (const callee of reach) {
      if (!isFunction(callee)) continue;
      callee.params.forEach((parameter, index) => {
        if (parameter.type !== AST_NODE_TYPES.Identifier) return;
        const variable = model.sourceCode.getDeclaredVariables(callee).find((v) => v.name === parameter.name);
        if (!variable || keys.has(variable)) return;
        const calls = [...reach].flatMap((fn) => model.within(model.calls, fn)).filter(({ node }) => model.calleesOf(node).includes(callee));
        const passesKey = (call: TSESTree.CallExpression | TSESTree.NewExpression): boolean => {
          const argument = call.arguments[index] && unwrap(call.arguments[index]);
          if (argument?.type !== AST_NODE_TYPES.Identifier) return false;
          const passed = ASTUtils.findVariable(model.sourceCode.getScope(argument), argument);
          return passed !== null && keys.has(passed);
        };
        if (calls.length > 0 && calls.every(({ node }) => passesKey(node))) {
          const before = keys.size;
          addUnchanged(model, keys, parameter);
          if (keys.size !== before) changed = true;
        }
      });
    }
  }
}

function enclosingLoop(node: TSESTree.Node): TSESTree.ForOfStatement | null {
  for (let current = node.parent; current && !isFunction(current); current = current.parent) {
    if (current.type === AST_NODE_TYPES.ForOfStatement) return current;
  }
  return null;
}

/** The initialiser of a `const` the identifier names, or null. */
function constInit(model: FileModel, identifier: TSESTree.Identifier): TSESTree.Node | null {
  const variable = ASTUtils.findVariable(model.sourceCode.getScope(identifier), identifier);
  const definition = variable?.defs[0];
  if (variable?.defs.length !== 1 || definition?.node.type !== AST_NODE_TYPES.VariableDeclarator) return null;
  if (definition.parent?.type !== AST_NODE_TYPES.VariableDeclaration || definition.parent.kind !== 'const' || !definition.node.init) return null;
  return unwrap(definition.node.init);
}

const mutators = new Set(['push', 'unshift', 'splice', 'fill', 'copyWithin']);

/** True when nothing adds elements to the array the identifier names (`ids.push(…)`, `ids[i] = …`). */
function unmutated(model: FileModel, identifier: TSESTree.Identifier): boolean {
  const variable = ASTUtils.findVariable(model.sourceCode.getScope(identifier), identifier);
  return (variable?.references ?? []).every(({ identifier: use }) => {
    const member = use.parent;
    if (member?.type !== AST_NODE_TYPES.MemberExpression || member.object !== use) return true;
    if (member.computed) return !(member.parent?.type === AST_NODE_TYPES.AssignmentExpression && member.parent.left === member);
    return !mutators.has(propertyName(member) ?? '');
  });
}

function isCall(node: TSESTree.CallExpression, name: string): boolean {
  const callee = unwrap(node.callee);
  if (callee.type !== AST_NODE_TYPES.MemberExpression || unwrap(callee.object).type !== AST_NODE_TYPES.Identifier) return false;
  return `${(unwrap(callee.object) as TSESTree.Identifier).name}.${propertyName(callee) ?? ''}` === name;
}

// ---- a claim of the entry and a re-check after the suspension ------------------------------------

/**
 * True when the section cannot lose what another instance wrote, though it reads, suspends and
 * writes: the task claims the entry object it read before it suspends (`const s = m.get(k); if
 * (!s || s.released) return; s.released = true; await …`), or the write runs only when a read
 * made after the last suspension finds the key absent (`if (!m.has(k)) m.set(k, v)`), or keeps
 * what that read finds (`m.set(k, m.get(k) ?? v)`).
 */
export function settledWrite(model: FileModel, read: Access, write: Access, suspensions: readonly Suspension[], accesses: readonly Access[]): boolean {
  if (!read.key || !write.key || !sameText(model.sourceCode, read.key, write.key)) return false;
  return claimsEntry(model, read, write, suspensions) || rechecked(model, read, write, suspensions, accesses);
}

function claimsEntry(model: FileModel, read: Access, write: Access, suspensions: readonly Suspension[]): boolean {
  const holder = holderVariable(model, read);
  if (!holder) return false;
  const first = suspensions.find((s) => s.node.range[0] >= read.node.range[1] && !contains(s.node, read.node));
  if (!first || first.node.range[1] > write.node.range[0]) return false;
  // the uses of `holder.flag` (or `holder?.flag`) between the read and the first suspension
  const checked = new Set<string>();
  const claimed = new Set<string>();
  for (const { identifier } of holder.references) {
    if (identifier.range[0] < read.node.range[1] || identifier.range[1] > first.node.range[0]) continue;
    const member = identifier.parent;
    if (member?.type !== AST_NODE_TYPES.MemberExpression || member.object !== identifier) continue;
    const flag = propertyName(member);
    const use = outermost(member);
    if (!flag) continue;
    if (use.parent?.type === AST_NODE_TYPES.AssignmentExpression && use.parent.left === use) {
      if (use.parent.operator === '=' && isTruthyLiteral(use.parent.right)) claimed.add(flag);
    } else if (testsFlag(use)) checked.add(flag);
  }
  return [...claimed].some((flag) => checked.has(flag));
}

/** True when node is an operand whose truth alone makes an early exit happen: `if (!s || s.released) return;`. */
function testsFlag(node: TSESTree.Node): boolean {
  let current = node;
  while (current.parent?.type === AST_NODE_TYPES.LogicalExpression && current.parent.operator === '||') current = current.parent;
  const statement = current.parent;
  return statement?.type === AST_NODE_TYPES.IfStatement && statement.test === current && !statement.alternate && exitsEarly(statement.consequent);
}

function rechecked(model: FileModel, read: Access, write: Access, suspensions: readonly Suspension[], accesses: readonly Access[]): boolean {
  const last = suspensions.filter((s) => s.node.range[1] <= write.node.range[0] && s.node.range[0] >= read.node.range[1]).at(-1);
  if (!last) return false;
  return accesses.some((check) => {
    if (check === write || check.kind !== 'read' || check.identity !== read.identity || !check.key) return false;
    if (check.node.range[0] < last.node.range[1] || !sameText(model.sourceCode, check.key, read.key!)) return false;
    if (check.node.range[1] > write.node.range[1]) return false;
    // `m.set(k, m.get(k) ?? v)`: the write keeps what is there
    if (contains(write.node, check.node)) return keepsPresent(write, check);
    return writtenWhenAbsent(model, check, write);
  });
}

function keepsPresent(write: Access, check: Access): boolean {
  const value = writtenValue(write);
  if (!value) return false;
  const kept = unwrap(value);
  return kept.type === AST_NODE_TYPES.LogicalExpression && (kept.operator === '??' || kept.operator === '||') && unwrap(kept.left) === check.node;
}

/** True when the write runs only if the check found the key absent: a branch around it, or an early exit before it. */
function writtenWhenAbsent(model: FileModel, check: Access, write: Access): boolean {
  const holder = holderVariable(model, check);
  const subject = (node: TSESTree.Node): boolean => {
    const value = unwrap(node);
    if (value === check.node) return true;
    return holder !== null && value.type === AST_NODE_TYPES.Identifier && holder.references.some((reference) => reference.identifier === value);
  };
  // a callback handed to the load after the check (`.then(…)`, a Node.js callback) runs under that check
  for (let current: TSESTree.Node = write.node; current.parent && (!isFunction(current.parent) || callbackAfter(current.parent, check)); current = current.parent) {
    const parent = current.parent;
    if (parent.type === AST_NODE_TYPES.IfStatement || parent.type === AST_NODE_TYPES.ConditionalExpression) {
      if (current === parent.test || parent.test.range[1] < check.node.range[0] || !contains(parent.test, check.node) && !holder) continue;
      const branch = polarity(parent.test, subject);
      if ((parent.consequent === current ? branch.whenTrue : branch.whenFalse) === 'absent') return true;
    }
    if (parent.type === AST_NODE_TYPES.BlockStatement) {
      for (const statement of parent.body) {
        if (statement === current) break;
        if (statement.type !== AST_NODE_TYPES.IfStatement || statement.alternate || !exitsEarly(statement.consequent)) continue;
        if (statement.range[0] < check.node.range[0] && !contains(statement, check.node)) continue;
        if (polarity(statement.test, subject).whenFalse === 'absent') return true;
      }
    }
  }
  return false;
}

// ---- re-entrancy flags ---------------------------------------------------------------------------------

/**
 * True when the runs that reach the access go one at a time through a flag shared by the runs (a
 * module `let` or `this.busy`), in the function the access is in or in the task's own function
 * around the call that leads there: an early return while it is set, the flag set before the
 * first suspension after that, and reset only in a `finally` around the access (or the call) or
 * after the last suspension (`if (busy) return; busy = true; try { … } finally { busy = false }`).
 */
export function serializedByFlag(model: FileModel, access: Access, root: Root): boolean {
  if (access.owner && runsOneAtATime(model, access.owner, access.node)) return true;
  if (!isFunction(root) || root === access.owner) return false;
  const call = model.within(model.calls, root).find(({ node }) => access.owner !== null && [...model.calleesOf(node), ...model.callbacksOf(node)].includes(access.owner));
  return call !== undefined && runsOneAtATime(model, root, call.node);
}

function runsOneAtATime(model: FileModel, owner: FunctionNode, anchor: TSESTree.Node): boolean {
  if (owner.body.type !== AST_NODE_TYPES.BlockStatement) return false;
  const suspensions = model.within(model.suspensions, owner);
  const statements = owner.body.body;
  for (const [index, statement] of statements.entries()) {
    if (statement.range[1] > anchor.range[0]) return false;
    if (statement.type !== AST_NODE_TYPES.IfStatement || statement.alternate || !exitsEarly(statement.consequent)) continue;
    for (const flag of truthyOperands(statement.test)) {
      if (!sharedFlag(model, flag, owner)) continue;
      const set = statements.slice(index + 1).find((next) => isFlagAssignment(model, next, flag, true));
      if (!set || set.range[1] > anchor.range[0]) continue;
      if (suspensions.some((s) => s.node.range[0] > statement.range[0] && s.node.range[1] < set.range[0])) continue;
      if (resetsAfterRun(model, flag, owner, set, anchor, suspensions)) return true;
    }
  }
  return false;
}

/** A flag is a module or outer `let`, or a field of `this`: the same for every run. */
function sharedFlag(model: FileModel, node: TSESTree.Node, owner: FunctionNode): boolean {
  const flag = unwrap(node);
  if (flag.type === AST_NODE_TYPES.MemberExpression) return flag.object.type === AST_NODE_TYPES.ThisExpression && propertyName(flag) !== null;
  if (flag.type !== AST_NODE_TYPES.Identifier) return false;
  const definition = ASTUtils.findVariable(model.sourceCode.getScope(flag), flag)?.defs[0];
  return definition?.type === 'Variable' && !contains(owner, definition.node);
}

function isFlagAssignment(model: FileModel, statement: TSESTree.Node, flag: TSESTree.Node, value: boolean): boolean {
  if (statement.type !== AST_NODE_TYPES.ExpressionStatement) return false;
  const assignment = statement.expression;
  if (assignment.type !== AST_NODE_TYPES.AssignmentExpression || assignment.operator !== '=' || !sameText(model.sourceCode, assignment.left, flag)) return false;
  return value ? isTruthyLiteral(assignment.right) : !isTruthyLiteral(assignment.right);
}

/** True when every other assignment of the flag in the function comes after its run: in a `finally` around the anchor, or after the last suspension. */
function resetsAfterRun(model: FileModel, flag: TSESTree.Node, owner: FunctionNode, set: TSESTree.Node, anchor: TSESTree.Node, suspensions: readonly Suspension[]): boolean {
  const lastSuspension = suspensions.at(-1);
  return model.assignments.every((assignment) => {
    if (!contains(owner, assignment) || contains(set, assignment) || !sameText(model.sourceCode, assignment.left, flag)) return true;
    if (enclosingFunction(assignment) !== owner) return false;
    if (lastSuspension && assignment.range[0] > lastSuspension.node.range[1]) return true;
    for (let current: TSESTree.Node = assignment; current.parent && current !== owner; current = current.parent) {
      const parent: TSESTree.Node = current.parent;
      if (parent.type === AST_NODE_TYPES.TryStatement && parent.finalizer === current && contains(parent.block, anchor)) return true;
    }
    return false;
  });
}

// ---- duplicate loads -----------------------------------------------------------------------------------

/**
 * True when a read-then-write section is a read-through fill: the read (`has`, `get`, `k in r`)
 * only decides whether to load, the write runs only when it found the key absent (a refresh of
 * a stale entry can put an older value back: a lost update), stores a value at the same key
 * (`set`, `r[k] =`), and that value is loaded (a call or an await) from the key alone — not from
 * the entry read, another map, another input of the task, a mutable module variable or a field
 * that methods reassign. The key's inputs count as the key (`const key = \`${id}@${width}\``), and
 * the gap may be a callback handed to the load (`load(k).then((v) => m.set(k, v))`, a Node.js
 * callback), whose parameters are the load's result. Tasks that miss together each load the entry; the last store wins, and
 * no update is lost.
 */
export function isDuplicateLoad(model: FileModel, read: Access, write: Access): boolean {
  if (read === write || read.kind !== 'read' || write.kind !== 'write' || !(write.method === 'set' || write.method === '[]')) return false;
  if (!read.key || !write.key || !sameText(model.sourceCode, read.key, write.key)) return false;
  const value = writtenValue(write);
  const root = write.owner;
  if (!value || !root || !writtenWhenAbsent(model, read, write)) return false;
  if (!gapOnlyLoads(model, read, write, root) || mutatedAfterStore(model, read, write, value, root)) return false;
  const keyVariables = referencedVariables(model, write.key);
  // a key reassigned between the check and the store (`handle = found.name`) stores under a key nobody checked
  if ([...keyVariables].some((variable) => variable.references.some((reference) => reference.isWrite() && !reference.init && between(reference.identifier, read.node, write.node)))) return false;
  const seen = new Set<TSESTree.Node>();
  const pending: TSESTree.Node[] = [value];
  let loads = false;
  while (pending.length > 0) {
    const expression = pending.pop()!;
    if (seen.has(expression)) continue;
    seen.add(expression);
    if (model.allAccesses().some((access) => contains(expression, access.node))) return false;
    let keyOnly = true;
    walkAll(expression, model.sourceCode.visitorKeys, (node) => {
      if (!keyOnly) return;
      if (node.type === AST_NODE_TYPES.AwaitExpression || node.type === AST_NODE_TYPES.CallExpression || node.type === AST_NODE_TYPES.NewExpression) loads = true;
      if (node.type === AST_NODE_TYPES.MemberExpression && node.object.type === AST_NODE_TYPES.ThisExpression) {
        if (reassignedField(model, node)) keyOnly = false;
        return;
      }
      if (node.type !== AST_NODE_TYPES.Identifier || !isReference(node)) return;
      const variable = ASTUtils.findVariable(model.sourceCode.getScope(node), node);
      if (!variable || keyVariables.has(variable)) return;
      const definition = variable.defs[0];
      if (!definition || definition.type === 'FunctionName' || definition.type === 'ImportBinding' || definition.type === 'ClassName') return;
      // another input of the task (`reserve(seat, user)`): tasks with one key store different values
      if (definition.type === 'Parameter') {
        if (contains(expression, definition.node)) return;
        // the result of the load in the gap: `load(k).then((v) => m.set(k, v))`, `readFile(path, (error, text) => …)`
        const inputs = callbackResultInputs(definition.node, read);
        if (inputs) {
          loads = true;
          pending.push(...inputs);
        } else keyOnly = false;
        return;
      }
      if (definition.type !== 'Variable') return;
      if (contains(root, definition.node)) {
        const sources = definitionsReaching(model, variable, write.node, root);
        if (sources === null) keyOnly = false;
        else pending.push(...sources);
        return;
      }
      // a variable outside the function: state when something assigns it after its declaration
      if (variable.references.some((reference) => reference.isWrite() && !reference.init)) keyOnly = false;
    });
    if (!keyOnly) return false;
  }
  // a marker stored after the work (`seen[id] = true`) is no load: the work itself is repeated
  return loads;
}

/**
 * Names of calls that read or build a value, or only record what happened, rather than act on the
 * world: repeating one costs time, not correctness. A name counts when it is one of these or
 * starts with one followed by an upper-case letter or `_` (`getUser`, `loadHistory`,
 * `fetch_rates`, `auditAccess`); `create`, `credit`, `charge`, `send`, `post`, `apply`,
 * `process`, `handle`, `save`, `subscribe` … are side effects.
 */
const loadVerbs = ['get', 'fetch', 'load', 'read', 'find', 'lookup', 'resolve', 'compute', 'calculate', 'parse', 'render', 'build', 'compile', 'query', 'select', 'list', 'download', 'import', 'open', 'decode', 'search', 'json', 'text', 'blob', 'arrayBuffer', 'log', 'audit', 'trace', 'debug', 'info', 'warn'];

function isLoadName(name: string): boolean {
  return loadVerbs.some((verb) => name === verb || (name.startsWith(verb) && /^[A-Z_]/u.test(name.slice(verb.length))));
}

/** The name a call is made by, through `.then` / `.catch` / `.finally` chains: `loadHistory`, `get` of `this.db.get(k)`; null for no call. */
function callName(node: TSESTree.CallExpression): string | null {
  let value: TSESTree.Node = node;
  while (value.type === AST_NODE_TYPES.CallExpression) {
    const callee = unwrap(value.callee);
    const name = callee.type === AST_NODE_TYPES.Identifier ? callee.name : callee.type === AST_NODE_TYPES.MemberExpression ? propertyName(callee) : null;
    if (callee.type !== AST_NODE_TYPES.MemberExpression || !['then', 'catch', 'finally'].includes(name ?? '')) return name;
    value = unwrap(callee.object);
  }
  return null;
}

/**
 * True when the task waits between the check and the store only to get a value: an awaited call
 * whose result the task drops (`await creditLedger(…);`) was made for its effect, and repeating
 * it is no harmless duplicate load, unless its name says it reads or records (see loadVerbs). An
 * await whose result is used (`user = await api.user(id)`) and a continuation's call (whose
 * callback is given the result) are loads.
 */
function gapOnlyLoads(model: FileModel, read: Access, write: Access, root: FunctionNode): boolean {
  return model
    .within(model.suspensions, root)
    .filter(({ node }) => node.range[1] <= write.node.range[0] && (read.owner !== root || node.range[0] >= read.node.range[1]))
    .every(({ node }) => {
      if (node.type !== AST_NODE_TYPES.AwaitExpression || outermost(node).parent?.type !== AST_NODE_TYPES.ExpressionStatement) return true;
      const call = unwrap(node.argument);
      if (call.type !== AST_NODE_TYPES.CallExpression) return true;
      const name = callName(call);
      return name !== null && isLoadName(name);
    });
}

/** Methods that leave their object as it is (and those named like a load, see loadVerbs: `template.render(data)`): calling one on the stored value is no change to it. */
const readOnlyMethods = new Set(['get', 'has', 'at', 'includes', 'indexOf', 'find', 'some', 'every', 'map', 'filter', 'slice', 'join', 'keys', 'values', 'entries', 'forEach', 'toString', 'toJSON', 'valueOf']);

/**
 * True when the task changes the stored object after storing it, through the variable that holds
 * it (`rooms.set(id, room); room.members.add(ws)`, `room.owner = user`): a second task's store
 * replaces the first object and the change made to it is lost. A write that runs only when a
 * re-check after the suspension finds the key absent keeps the first object, so it loses nothing.
 */
function mutatedAfterStore(model: FileModel, read: Access, write: Access, value: TSESTree.Node, root: FunctionNode): boolean {
  const stored = unwrap(value);
  if (stored.type !== AST_NODE_TYPES.Identifier) return false;
  const variable = ASTUtils.findVariable(model.sourceCode.getScope(stored), stored);
  const changed = (variable?.references ?? []).some(({ identifier }) => {
    if (identifier.range[0] < write.node.range[1] || enclosingFunction(identifier) !== root) return false;
    const member = identifier.parent;
    if (member?.type !== AST_NODE_TYPES.MemberExpression || member.object !== identifier) return false;
    let chain: TSESTree.Node = member;
    while (chain.parent?.type === AST_NODE_TYPES.MemberExpression && chain.parent.object === chain) chain = chain.parent;
    const use = outermost(chain);
    const parent = use.parent;
    if (parent?.type === AST_NODE_TYPES.AssignmentExpression && parent.left === use) return true;
    if (parent?.type === AST_NODE_TYPES.UpdateExpression || (parent?.type === AST_NODE_TYPES.UnaryExpression && parent.operator === 'delete')) return true;
    // `room.members.add(ws)`: a method called on the value or on a part of it
    const call = chain.parent;
    return call?.type === AST_NODE_TYPES.CallExpression && call.callee === chain && chain.type === AST_NODE_TYPES.MemberExpression && !readOnlyMethods.has(propertyName(chain) ?? '') && !isLoadName(propertyName(chain) ?? '');
  });
  if (!changed) return false;
  // re-read after the last suspension before the store (`room = rooms.get(id); if (!room) …`): the store keeps the first object
  const last = model.within(model.suspensions, root).filter(({ node }) => node.range[1] <= write.node.range[0]).at(-1);
  return !model
    .within(model.accesses, root)
    .some((check) => check !== write && check.kind === 'read' && check.identity === write.identity && check.key !== undefined && check.key !== null && sameText(model.sourceCode, check.key, write.key!) && (!last || check.node.range[0] >= last.node.range[1]) && check.node.range[1] <= write.node.range[0]);
}

/** True when a node lies after one node and before another. */
function between(node: TSESTree.Node, from: TSESTree.Node, to: TSESTree.Node): boolean {
  return node.range[0] >= from.range[1] && node.range[1] <= to.range[0];
}

/**
 * The variables the key is made of, following `const` locals to what they are built from
 * (`const key = \`${imageId}@${width}\``): a value loaded from those inputs depends on the key alone.
 */
export function referencedVariables(model: FileModel, node: TSESTree.Node): Set<Variable> {
  const found = new Set<Variable>();
  const pending = [node];
  while (pending.length > 0) {
    walkAll(pending.pop()!, model.sourceCode.visitorKeys, (child) => {
      if (child.type !== AST_NODE_TYPES.Identifier || !isReference(child)) return;
      const variable = ASTUtils.findVariable(model.sourceCode.getScope(child), child);
      if (!variable || found.has(variable)) return;
      found.add(variable);
      const declarator = variable.defs.length === 1 ? variable.defs[0]!.node : null;
      if (declarator?.type === AST_NODE_TYPES.VariableDeclarator && declarator.init && declarator.parent.kind === 'const') pending.push(declarator.init);
    });
  }
  return found;
}

/** True for a function literal passed to a call that comes after the read. */
function callbackAfter(fn: TSESTree.Node, read: Access): boolean {
  const call = fn.parent;
  return isFunction(fn) && fn.range[0] >= read.node.range[1] && call?.type === AST_NODE_TYPES.CallExpression && call.arguments.includes(fn as TSESTree.CallExpressionArgument);
}

/**
 * When fn is a callback handed to a call after the read (the load in the gap), what its
 * parameters are computed from: the promise a `.then` is called on, or the call's other
 * arguments (`readFile(path, 'utf8', (error, text) => …)`). Null for a function that was running
 * at the read (the task's own inputs) or that is no callback.
 */
function callbackResultInputs(fn: TSESTree.Node, read: Access): TSESTree.Node[] | null {
  const call = fn.parent;
  if (!callbackAfter(fn, read) || call?.type !== AST_NODE_TYPES.CallExpression) return null;
  const callee = unwrap(call.callee);
  if (callee.type === AST_NODE_TYPES.MemberExpression && ['then', 'catch', 'finally'].includes(propertyName(callee) ?? '')) return [callee.object];
  return call.arguments.filter((argument) => !isFunction(argument));
}

/**
 * The expressions a local variable may hold at the write: the last assignment before it in a block
 * the write is in (`v = await load(k); m.set(k, v)`), else the initialiser and every assignment
 * before it; null when a write the walk does not follow (`v++`, a destructuring) changes it.
 */
function definitionsReaching(model: FileModel, variable: Variable, write: TSESTree.Node, root: FunctionNode): TSESTree.Node[] | null {
  const sources: TSESTree.Node[] = [];
  let dominating: TSESTree.Node | null = null;
  for (const reference of variable.references) {
    if (!reference.isWrite() || reference.identifier.range[0] > write.range[0]) continue;
    const parent = reference.identifier.parent;
    if (reference.init && parent?.type === AST_NODE_TYPES.VariableDeclarator && parent.id === reference.identifier && parent.init) {
      sources.push(parent.init);
      continue;
    }
    if (parent?.type !== AST_NODE_TYPES.AssignmentExpression || parent.operator !== '=' || parent.left !== reference.identifier) return null;
    if (enclosingFunction(parent) !== root) return null;
    sources.push(parent.right);
    const statement = parent.parent;
    if (statement?.type === AST_NODE_TYPES.ExpressionStatement && statement.parent && contains(statement.parent, write)) dominating = parent.right;
  }
  return dominating ? [dominating] : sources;
}

/** True for `this.x` when a method other than the constructor assigns `this.x`. */
function reassignedField(model: FileModel, member: TSESTree.MemberExpression): boolean {
  return model.assignments.some(
    (assignment) =>
      assignment.left.type === AST_NODE_TYPES.MemberExpression &&
      sameText(model.sourceCode, assignment.left, member) &&
      !isConstructorThisWrite(assignment.left, enclosingFunction(assignment)),
  );
}

function isReference(identifier: TSESTree.Identifier): boolean {
  const parent = identifier.parent;
  if (parent?.type === AST_NODE_TYPES.MemberExpression && parent.property === identifier && !parent.computed) return false;
  if (parent?.type === AST_NODE_TYPES.Property && parent.key === identifier && !parent.computed && !parent.shorthand) return false;
  return true;
}

// ---- shared ------------------------------------------------------------------------------------------

/** The operands whose truth alone makes the test true: `a`, both sides of `a || b`. */
function truthyOperands(test: TSESTree.Node): TSESTree.Node[] {
  const value = unwrap(test);
  if (value.type === AST_NODE_TYPES.LogicalExpression && value.operator === '||') return [...truthyOperands(value.left), ...truthyOperands(value.right)];
  return [value];
}

function isTruthyLiteral(node: TSESTree.Node): boolean {
  const value = unwrap(node);
  return value.type === AST_NODE_TYPES.Literal && Boolean(value.value);
}

/**
 * True when the instances of one task cannot meet at the access: they touch only their own
 * distinct keys, or a re-entrancy flag lets one run at a time. Other tasks and other functions
 * may still write the map.
 */
export function instancesApart(model: FileModel, access: Access, group: TaskGroup, root: Root, reach: ReadonlySet<Root>): boolean {
  return serializedByFlag(model, access, root) || ownKeysOnly(model, access, group, root, reach);
}
