/**
 * Critical sections: in one function (or loop body), a read of a map whose result decides or
 * feeds a later write to the same map, with a suspension (`await`, `yield`, `for await`) between
 * them; or a loop over the live map with a suspension in its body. Sections under a recognised
 * guard are left out.
 */
import { AST_NODE_TYPES, ASTUtils, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { calleeText, contains, isFunction, propertyName, sameText, unwrap, walkOwnBody, type FunctionNode } from './ast.js';
import { continuationAcross, continuationsIn } from './continuations.js';
import { settledWrite } from './benign.js';
import type { Access, FileModel, Suspension } from './file-model.js';

export interface ReadWriteSection {
  type: 'read-write';
  /** The earliest read that decides or feeds the write. */
  read: Access;
  write: Access;
  suspension: Suspension;
}

export interface LiveLoopSection {
  type: 'live-loop';
  loop: Access;
  suspension: Suspension;
}

export type Section = ReadWriteSection | LiveLoopSection;

/** The sections of a root: a function's own body or a loop body. */
export function sectionsIn(model: FileModel, root: FunctionNode | TSESTree.Statement, guards: GuardMatcher): Section[] {
  const suspensions = model.within(model.suspensions, root);
  // a write in a `.then` (or completion) callback comes after a gap too: see continuations.ts
  const continuations = continuationsIn(model, root);
  if (suspensions.length === 0 && continuations.length === 0) return [];
  const accesses = [...model.within(model.accesses, root), ...continuations.flatMap((continuation) => continuation.writes)];
  // a root that touches no map has no section: no need to walk its body
  if (accesses.length === 0) return [];
  const gaps = [...suspensions, ...continuations.map((continuation) => continuation.suspension)].sort((a, b) => a.node.range[0] - b.node.range[0]);
  const body = bodyOf(model, root);
  const sections: Section[] = [];
  // one section per write: `if (m.has(k)) { const v = m.get(k)!; await f(); m.set(k, v + 1); }`
  // is one race, reported from its earliest read
  // One section per write: a later read feeding the same write (`if (m.has(k)) { const v = m.get(k)!; … }`) adds none.
  const taken = new Set<TSESTree.Node>();
  for (const read of accesses) {
    if (read.kind === 'iterate') {
      const section = liveLoop(read, suspensions);
      if (section && !guards.guards(model, read.node)) sections.push(section);
      continue;
    }
    if (read.kind === 'update') {
      // obj[k] += await f(): the old value is read before the await and written after it
      const suspension = suspensions.find((s) => contains(read.node, s.node));
      if (!suspension || guards.guards(model, read.node)) continue;
      if (!taken.has(read.node)) {
        taken.add(read.node);
        sections.push({ type: 'read-write', read, write: read, suspension });
      }
      continue;
    }
    if (read.kind !== 'read') continue;
    const context: ReadContext = { read, root, body, tainted: null, holder: undefined };
    for (const write of accesses) {
      if (write.identity !== read.identity || (write.kind !== 'write' && write.kind !== 'update')) continue;
      // the write takes effect after the read: it follows it, or the read is among its arguments
      if (!contains(write.node, read.node) && write.node.range[0] < read.node.range[1]) continue;
      // a suspension on a path from the read to the write: not in a branch exclusive with either;
      // the await of the read itself (`await store.get(k)`) suspends after the read is made
      const suspension = suspensions.find(
        (s) =>
          (awaitsRead(s.node, read.node) || (s.node.range[0] >= read.node.range[1] && !contains(s.node, read.node))) &&
          s.node.range[1] <= write.node.range[1] &&
          !exclusive(s.node, read.node, root) &&
          !exclusive(s.node, write.node, root),
      ) ?? continuationAcross(continuations, read, write);
      if (!suspension || exclusive(suspension.node, read.node, root)) continue;
      if (!decides(model, context, write, suspension)) continue;
      if (claimed(model, context, write, accesses, suspensions)) break;
      if (redecided(model, context, write, suspension, accesses, suspensions)) continue;
      if (settledWrite(model, read, write, gaps, accesses)) continue;
      if (guards.guards(model, read.node) || guards.guards(model, write.node)) continue;
      if (!taken.has(write.node)) {
        taken.add(write.node);
        sections.push({ type: 'read-write', read, write, suspension });
      }
      break;
    }
  }
  return sections;
}

/** True for `await read`: the task suspends once the read is made (an async store's read is this await). */
function awaitsRead(suspension: TSESTree.Node, read: TSESTree.Node): boolean {
  return suspension.type === AST_NODE_TYPES.AwaitExpression && unwrap(suspension.argument) === read;
}

/** A `for … of` over the live map (or its keys/values/entries), or a `for … in` over a live record, with a suspension in its body. */
function liveLoop(access: Access, suspensions: Suspension[]): LiveLoopSection | null {
  const loop = access.node;
  if (loop.type !== AST_NODE_TYPES.ForInStatement && (loop.type !== AST_NODE_TYPES.ForOfStatement || loop.await)) return null;
  const body = loop.body;
  const suspension = suspensions.find((s) => contains(body, s.node));
  return suspension ? { type: 'live-loop', loop: access, suspension } : null;
}

// ---- does the read decide or feed the write? -----------------------------------------------------

/** What a root holds that the checks below look at, collected in one walk of its own body. */
interface RootBody {
  ifs: TSESTree.IfStatement[];
  declarators: TSESTree.VariableDeclarator[];
  assignments: TSESTree.AssignmentExpression[];
}

/** One read being matched with the writes after it; what is derived from it is computed once. */
interface ReadContext {
  read: Access;
  root: TSESTree.Node;
  body: RootBody;
  tainted: Set<TSESLint.Scope.Variable> | null;
  /** The variable holding exactly the read's result (`const v = m.get(k)`), null when none. */
  holder: TSESLint.Scope.Variable | null | undefined;
}

const bodies = new WeakMap<TSESTree.Node, RootBody>();

function bodyOf(model: FileModel, root: TSESTree.Node): RootBody {
  let body = bodies.get(root);
  if (body) return body;
  body = { ifs: [], declarators: [], assignments: [] };
  const found = body;
  walkOwnBody(root, model.sourceCode.visitorKeys, (node) => {
    if (node.type === AST_NODE_TYPES.IfStatement) found.ifs.push(node);
    else if (node.type === AST_NODE_TYPES.VariableDeclarator && node.init) found.declarators.push(node);
    else if (node.type === AST_NODE_TYPES.AssignmentExpression && node.left.type === AST_NODE_TYPES.Identifier) found.assignments.push(node);
  });
  bodies.set(root, body);
  return body;
}

function taintOf(model: FileModel, context: ReadContext): Set<TSESLint.Scope.Variable> {
  context.tainted ??= taintedNames(model, context.read, context.body);
  return context.tainted;
}

/**
 * True when the write uses what the read returned: the read is inside the write, the write uses a
 * variable computed from the read, the write runs only because of a test of the read (an `if`
 * around the write, or an early `return` before it), or the task awaits work on the value it read
 * and then overwrites that entry (`const n = m.get(k); await flush(n); m.set(k, 0)`).
 */
function decides(model: FileModel, context: ReadContext, write: Access, suspension: Suspension): boolean {
  const { read } = context;
  if (read.key && write.key && sameText(model.sourceCode, read.key, write.key) && usesAny(suspension.node, taintOf(model, context))) return true;
  return decidedBy(model, context, write);
}

/** True when the write uses what the read returned, or runs only because of a test of it. */
function decidedBy(model: FileModel, context: ReadContext, write: Access): boolean {
  const { read, root } = context;
  if (contains(write.node, read.node)) return true;
  const tainted = taintOf(model, context);
  if (usesAny(write.node, tainted)) return true;
  for (let current: TSESTree.Node | undefined = write.node.parent; current && current !== root; current = current.parent) {
    const test = testOf(current);
    if (test && test.range[1] <= write.node.range[0] && (contains(test, read.node) || usesAny(test, tainted))) return true;
  }
  // an early exit decided by the read: `if (cached) return cached;` before the write
  return context.body.ifs.some(
    (statement) =>
      statement.range[1] >= read.node.range[1] &&
      statement.range[1] <= write.node.range[0] &&
      (contains(statement.test, read.node) || usesAny(statement.test, tainted)) &&
      exitsEarly(statement.consequent),
  );
}

// ---- paths -----------------------------------------------------------------------------------------

/**
 * True when a and b sit in the two branches of one `if … else` or `c ? x : y` within the root: no
 * run of the root reaches both (`if (fast) v = m.get(k); else v = await load(k);`).
 */
function exclusive(a: TSESTree.Node, b: TSESTree.Node, root: TSESTree.Node): boolean {
  for (let current: TSESTree.Node = a; current.parent && current !== root; current = current.parent) {
    const parent = current.parent;
    if (parent.type === AST_NODE_TYPES.IfStatement || parent.type === AST_NODE_TYPES.ConditionalExpression) {
      if (parent.consequent === current && parent.alternate && contains(parent.alternate, b)) return true;
      if (parent.alternate === current && contains(parent.consequent, b)) return true;
    }
    if (isFunction(parent)) return false;
  }
  return false;
}

// ---- claims ----------------------------------------------------------------------------------------

/**
 * True when the task claims the key in the same synchronous step as the read, before it suspends,
 * and every other task checks that claim first: `if (seen.has(id)) return; seen.add(id); await
 * load(id); seen.delete(id);`, or `if (inProgress.has(id) || done.has(id)) return;
 * inProgress.add(id); … done.set(id, await load(id))`. A second task with the same key stops at
 * the check, so the section runs for one task per key at a time.
 *
 * The claim is an `add` / `set` / `obj[k] =` of a map (the read's own, or one tested next to it)
 * with the same key, after the read and before the first suspension after it, and it runs only
 * when the test found the key absent: an early exit taken when it is present, or the branch taken
 * when it is absent, which also holds the write.
 */
function claimed(model: FileModel, context: ReadContext, write: Access, accesses: readonly Access[], suspensions: readonly Suspension[]): boolean {
  const { read } = context;
  if (!read.key) return false;
  for (const claim of sameStep(read, accesses, suspensions)) {
    if (claim.kind !== 'write' || !(claim.method === 'add' || claim.method === 'set' || claim.method === '[]')) continue;
    if (!claim.key || !sameText(model.sourceCode, claim.key, read.key)) continue;
    // the check of the claimed map: the read itself, or a read of the claimed map with the same key
    const checks =
      claim.identity === read.identity
        ? [read]
        : accesses.filter(
            (check) =>
              check.kind === 'read' &&
              check.identity === claim.identity &&
              check.key !== null &&
              check.node.range[1] <= claim.node.range[0] &&
              sameText(model.sourceCode, check.key, read.key!),
          );
    if (checks.some((check) => claimGated(model, context, check, claim, write))) return true;
  }
  return false;
}

/**
 * The accesses that run in the same synchronous step as the read, after it: in the read's own
 * function (not in a callback, which runs later), up to the first `await` after it. A `.then`
 * call is no end of the step: its callbacks run once the function has yielded, after all of them.
 */
function sameStep(read: Access, accesses: readonly Access[], suspensions: readonly Suspension[]): Access[] {
  const first = suspensions.find((s) => s.node.range[0] >= read.node.range[1] && !contains(s.node, read.node));
  const end = first ? first.node.range[0] : Infinity;
  return accesses.filter((access) => access.owner === read.owner && access.node.range[0] >= read.node.range[1] && access.node.range[1] <= end);
}

/** True when the claim (and the write after it) only run when the check found the key absent. */
function claimGated(model: FileModel, context: ReadContext, check: Access, claim: Access, write: Access): boolean {
  const holder = check === context.read ? holderOf(model, context) : holderVariable(model, check);
  const subject = (node: TSESTree.Node): boolean => {
    const value = unwrap(node);
    if (value === check.node) return true;
    if (!holder || value.type !== AST_NODE_TYPES.Identifier) return false;
    return holder.references.some((reference) => reference.identifier === value);
  };
  // an early exit before the claim, taken whenever the key is present
  for (const statement of context.body.ifs) {
    if (statement.range[1] > claim.node.range[0] || !exitsEarly(statement.consequent) || statement.alternate) continue;
    if (!statement.parent || !contains(statement.parent, claim.node)) continue;
    if (polarity(statement.test, subject).whenFalse === 'absent') return true;
  }
  // a branch around the claim and the write, taken only when the key is absent
  for (let current: TSESTree.Node = claim.node; current.parent && current !== context.root; current = current.parent) {
    const parent = current.parent;
    if (parent.type !== AST_NODE_TYPES.IfStatement && parent.type !== AST_NODE_TYPES.ConditionalExpression) continue;
    if (!contains(current, write.node) || current === parent.test) continue;
    const branch = polarity(parent.test, subject);
    if ((parent.consequent === current ? branch.whenTrue : branch.whenFalse) === 'absent') return true;
  }
  return false;
}

// ---- decisions made again ---------------------------------------------------------------------------

/**
 * True when what the read decided is no longer stale at the write, though the write runs after a
 * test of the read, because the write uses nothing the read returned (nor does the work awaited in
 * between) and either
 * - the task wrote back what the read fed in the read's own synchronous step, under the same tests
 *   (`const n = m.get(k) ?? 0; if (n >= max) return; m.set(k, n + 1); await verify(); m.delete(k)`):
 *   that read-modify-write is atomic, and other tasks decide on what it wrote; or
 * - a read of the entry made after the gap decides the write again (`if (!m.has(k)) return; await
 *   persist(k); const s = m.get(k); if (s) m.set(k, { ...s, seen: now })`).
 */
function redecided(model: FileModel, context: ReadContext, write: Access, suspension: Suspension, accesses: readonly Access[], suspensions: readonly Suspension[]): boolean {
  const { read } = context;
  if (!read.key || !write.key || !sameText(model.sourceCode, read.key, write.key)) return false;
  const tainted = taintOf(model, context);
  if (contains(write.node, read.node) || usesAny(write.node, tainted) || usesAny(suspension.node, tainted)) return false;
  const decidedByRead = (test: TSESTree.Node): boolean => contains(test, read.node) || usesAny(test, tainted);
  const committed = sameStep(read, accesses, suspensions).some(
    (entry) =>
      entry.identity === read.identity &&
      (entry.kind === 'update' || (entry.kind === 'write' && entry.method !== 'delete' && (contains(entry.node, read.node) || usesAny(entry.node, tainted)))) &&
      entry.key !== null &&
      sameText(model.sourceCode, entry.key, read.key!) &&
      onEveryPathTo(entry.node, write.node, context.root) &&
      !decidedAfter(context, entry.node, write.node, decidedByRead),
  );
  if (committed) return true;
  // a fresh read of the entry, after the gap and in the write's own step, that decides the write
  const candidates = write.owner === read.owner || !write.owner ? accesses : model.within(model.accesses, write.owner);
  const fresh = candidates.find(
    (check) =>
      check.kind === 'read' &&
      check.identity === read.identity &&
      check.owner === write.owner &&
      check.key !== null &&
      sameText(model.sourceCode, check.key, read.key!) &&
      (write.owner !== read.owner || check.node.range[0] >= suspension.node.range[1]) &&
      check.node.range[0] <= write.node.range[1] &&
      !model.within(model.suspensions, check.owner ?? context.root).some((s) => s.node.range[0] >= check.node.range[1] && s.node.range[1] <= write.node.range[1]) &&
      decidedBy(model, { read: check, root: context.root, body: context.body, tainted: null, holder: undefined }, write),
  );
  return fresh !== undefined && !decidedAfter(context, suspension.node, write.node, decidedByRead);
}

/** True when every branch around `first` (within the root) also holds `then`: whenever `then` runs, `first` ran. */
function onEveryPathTo(first: TSESTree.Node, then: TSESTree.Node, root: TSESTree.Node): boolean {
  for (let current: TSESTree.Node = first; current.parent && current !== root; current = current.parent) {
    const parent = current.parent;
    if (parent === root) break;
    if (isFunction(parent)) return false;
    if (testOf(parent) && current !== testOf(parent) && !contains(current, then)) return false;
    if (parent.type === AST_NODE_TYPES.CatchClause) return false;
  }
  return true;
}

/** True when a test of the read made after `point` decides the write: a branch around it, or an early exit before it. */
function decidedAfter(context: ReadContext, point: TSESTree.Node, write: TSESTree.Node, decidedByRead: (test: TSESTree.Node) => boolean): boolean {
  for (let current: TSESTree.Node | undefined = write.parent; current && current !== context.root; current = current.parent) {
    const test = testOf(current);
    if (test && test.range[1] <= write.range[0] && !contains(current, point) && decidedByRead(test)) return true;
  }
  return context.body.ifs.some(
    (statement) => statement.range[0] >= point.range[1] && statement.range[1] <= write.range[0] && exitsEarly(statement.consequent) && decidedByRead(statement.test),
  );
}

function outermostOf(node: TSESTree.Node): TSESTree.Node {
  let current = node;
  while (current.parent && (current.parent.type === AST_NODE_TYPES.TSNonNullExpression || current.parent.type === AST_NODE_TYPES.ChainExpression)) {
    current = current.parent;
  }
  return current;
}

interface Polarity {
  whenTrue: 'absent' | 'present' | null;
  whenFalse: 'absent' | 'present' | null;
}

const unknown: Polarity = { whenTrue: null, whenFalse: null };

/** What a test being true or false says about the key of the check (subject: the check or its holder). */
export function polarity(test: TSESTree.Node, subject: (node: TSESTree.Node) => boolean): Polarity {
  const value = unwrap(test);
  if (subject(value)) return { whenTrue: 'present', whenFalse: 'absent' };
  if (value.type === AST_NODE_TYPES.UnaryExpression && value.operator === '!') {
    const inner = polarity(value.argument, subject);
    return { whenTrue: inner.whenFalse, whenFalse: inner.whenTrue };
  }
  if (value.type === AST_NODE_TYPES.BinaryExpression && ['===', '==', '!==', '!='].includes(value.operator)) {
    const [side, other] = subject(value.left) ? [value.left, value.right] : subject(value.right) ? [value.right, value.left] : [null, null];
    if (!side || !other) return unknown;
    const empty = (other.type === AST_NODE_TYPES.Identifier && other.name === 'undefined') || (other.type === AST_NODE_TYPES.Literal && (other.value === null || other.value === false));
    if (!empty) return unknown;
    const equal = value.operator === '===' || value.operator === '==';
    return equal ? { whenTrue: 'absent', whenFalse: 'present' } : { whenTrue: 'present', whenFalse: 'absent' };
  }
  if (value.type === AST_NODE_TYPES.LogicalExpression && (value.operator === '||' || value.operator === '&&')) {
    const left = polarity(value.left, subject);
    const right = polarity(value.right, subject);
    if (value.operator === '||') {
      // false: both sides false
      const whenFalse = left.whenFalse ?? right.whenFalse;
      const whenTrue = left.whenTrue !== null && left.whenTrue === right.whenTrue ? left.whenTrue : null;
      return { whenTrue, whenFalse };
    }
    const whenTrue = left.whenTrue ?? right.whenTrue;
    const whenFalse = left.whenFalse !== null && left.whenFalse === right.whenFalse ? left.whenFalse : null;
    return { whenTrue, whenFalse };
  }
  return unknown;
}

function holderOf(model: FileModel, context: ReadContext): TSESLint.Scope.Variable | null {
  if (context.holder === undefined) context.holder = holderVariable(model, context.read);
  return context.holder;
}

/** The variable that holds exactly what the access returned: `const v = m.get(k)`. */
export function holderVariable(model: FileModel, access: Access): TSESLint.Scope.Variable | null {
  const parent = outermostOf(access.node).parent;
  if (parent?.type !== AST_NODE_TYPES.VariableDeclarator || parent.id.type !== AST_NODE_TYPES.Identifier) return null;
  if (unwrap(parent.init!) !== access.node) return null;
  return model.sourceCode.getDeclaredVariables(parent)[0] ?? null;
}

function testOf(node: TSESTree.Node): TSESTree.Node | null {
  switch (node.type) {
    case AST_NODE_TYPES.IfStatement:
    case AST_NODE_TYPES.ConditionalExpression:
    case AST_NODE_TYPES.WhileStatement:
      return node.test;
    case AST_NODE_TYPES.LogicalExpression:
      return node.left;
    default:
      return null;
  }
}

/** True when the statement always leaves: `return`, `throw`, `continue`, `break`, or a block ending so. */
export function exitsEarly(statement: TSESTree.Statement): boolean {
  if (statement.type === AST_NODE_TYPES.ReturnStatement || statement.type === AST_NODE_TYPES.ThrowStatement) return true;
  if (statement.type === AST_NODE_TYPES.ContinueStatement || statement.type === AST_NODE_TYPES.BreakStatement) return true;
  if (statement.type === AST_NODE_TYPES.BlockStatement) {
    const last = statement.body.at(-1);
    return last !== undefined && exitsEarly(last);
  }
  return false;
}

/** Variables holding the read's result, or values computed from it, within the root. */
function taintedNames(model: FileModel, read: Access, body: RootBody): Set<TSESLint.Scope.Variable> {
  const tainted = new Set<TSESLint.Scope.Variable>();
  const holder = bindingOf(read.node);
  if (holder) for (const variable of model.sourceCode.getDeclaredVariables(holder.parent!)) tainted.add(variable);
  // values computed from tainted variables, in order, to a fixpoint over the root's declarations
  const { declarators, assignments } = body;
  for (let changed = true; changed; ) {
    changed = false;
    for (const declarator of declarators) {
      const before = tainted.size;
      if (usesAny(declarator.init!, tainted)) for (const variable of model.sourceCode.getDeclaredVariables(declarator)) tainted.add(variable);
      if (tainted.size !== before) changed = true;
    }
    for (const assignment of assignments) {
      const target = ASTUtils.findVariable(model.sourceCode.getScope(assignment.left), assignment.left as TSESTree.Identifier);
      if (target && !tainted.has(target) && (contains(assignment.right, read.node) || usesAny(assignment.right, tainted))) {
        tainted.add(target);
        changed = true;
      }
    }
  }
  return tainted;
}

/** The declarator whose initialiser is (or contains) the read: `const v = m.get(k) ?? 0`. */
function bindingOf(node: TSESTree.Node): TSESTree.Node | null {
  for (let current: TSESTree.Node = node; current.parent; current = current.parent) {
    const parent = current.parent;
    if (parent.type === AST_NODE_TYPES.VariableDeclarator && parent.init === current) return parent.id;
    if (isFunction(parent) || parent.type.endsWith('Statement')) return null;
  }
  return null;
}

/** True when node reads one of the variables. */
function usesAny(node: TSESTree.Node, variables: ReadonlySet<TSESLint.Scope.Variable>): boolean {
  if (variables.size === 0) return false;
  for (const variable of variables) {
    for (const reference of variable.references) {
      if (reference.isRead() && contains(node, reference.identifier)) return true;
    }
  }
  return false;
}

// ---- guards ----------------------------------------------------------------------------------------

/**
 * What serializes a section: a callback given to a lock (async-mutex `runExclusive` of a Mutex or
 * a Semaphore of one, async-lock `acquire(key, fn)`, `navigator.locks.request`, a p-limit or
 * p-queue of concurrency 1, the user's `guards`), a `try` whose `finally` releases a lock taken
 * by `await x.acquire()` / `await x.lock()` on a lock, or an `await using` handle of a lock
 * (`await using held = await map.lock(key)`) in an enclosing block.
 */
export class GuardMatcher {
  /** The guards as written, one string: matchers with equal keys decide alike. */
  readonly key: string;
  private readonly names: string[];
  private readonly patterns: RegExp[];

  constructor(userGuards: readonly string[]) {
    this.key = JSON.stringify(userGuards);
    this.names = userGuards.filter((guard) => !isPattern(guard));
    this.patterns = userGuards.filter(isPattern).map((guard) => new RegExp(guard.slice(1, guard.lastIndexOf('/')), guard.slice(guard.lastIndexOf('/') + 1)));
  }

  /** True when node runs under a guard. */
  guards(model: FileModel, node: TSESTree.Node): boolean {
    for (let current: TSESTree.Node = node; current.parent; current = current.parent) {
      const parent = current.parent;
      if (isFunction(current) && (parent.type === AST_NODE_TYPES.CallExpression || parent.type === AST_NODE_TYPES.NewExpression)) {
        if (parent.arguments.some((argument) => argument === current) && this.serializes(model, parent)) return true;
      }
      if (parent.type === AST_NODE_TYPES.TryStatement && parent.block === current && parent.finalizer && releasesLock(model, parent)) return true;
      if (parent.type === AST_NODE_TYPES.BlockStatement || parent.type === AST_NODE_TYPES.Program) {
        for (const statement of parent.body) {
          if (statement === current) break;
          if (statement.type === AST_NODE_TYPES.VariableDeclaration && holdsLock(model, statement)) return true;
        }
      }
    }
    return false;
  }

  /** True when the call runs the callbacks it is given one at a time, like a lock. */
  serializes(model: FileModel, call: TSESTree.CallExpression | TSESTree.NewExpression): boolean {
    const text = calleeText(call.callee);
    if (text !== null) {
      if (this.names.includes(text) || this.names.includes(text.split('.').pop()!)) return true;
      if (this.patterns.some((pattern) => pattern.test(text))) return true;
    }
    const callee = unwrap(call.callee);
    const method = callee.type === AST_NODE_TYPES.MemberExpression ? propertyName(callee) : null;
    if (method === 'runExclusive') return lockLike(model, (callee as TSESTree.MemberExpression).object) !== false;
    if (method === 'withLock' || method === 'withReadLock') return true;
    if (method === 'acquire' && call.arguments.length >= 2) return true; // async-lock: lock.acquire(key, fn)
    if (method === 'request' && text !== null && /(?:^|\.)locks\.request$/u.test(text)) return true;
    if (method === 'add' && callee.type === AST_NODE_TYPES.MemberExpression) return concurrencyOne(model, callee.object, 'PQueue');
    if (callee.type === AST_NODE_TYPES.Identifier) return concurrencyOne(model, callee, 'pLimit');
    return false;
  }
}

// ---- locks taken by hand ---------------------------------------------------------------------------

const acquireMethods = new Set(['acquire', 'acquireAsync', 'lock', 'readLock', 'writeLock', 'acquireLock', 'acquireRead', 'acquireWrite', 'runExclusive']);
/** `lock`, `readLock`, `writeLock`, `acquireLock`: a call that hands back a held lock. */
const lockCall = /^(?:lock|[a-z]\w*Lock)$/u;
const releaseMethods = /^(?:release|unlock|releaseLock|done)$/iu;
const lockName = /mutex|lock|semaphore/iu;

/**
 * True for a `try` whose `finally` releases a lock the task holds: `release()` (or `done()`, any
 * name) bound by `const release = await mutex.acquire()` or `const [, release] = await
 * semaphore.acquire()`, `handle.release()` on `const handle = await lock.acquire()`, or
 * `mutex.unlock()` after `await mutex.lock()`. A `finally` that releases something else (a pool
 * client from `pool.connect()`, a tracing span) is no guard.
 */
function releasesLock(model: FileModel, statement: TSESTree.TryStatement): boolean {
  return statement.finalizer!.body.some((step) => {
    if (step.type !== AST_NODE_TYPES.ExpressionStatement) return false;
    const expression = unwrap(step.expression);
    if (expression.type !== AST_NODE_TYPES.CallExpression) return false;
    const callee = unwrap(expression.callee);
    if (callee.type === AST_NODE_TYPES.Identifier) return heldLock(model, callee);
    if (callee.type !== AST_NODE_TYPES.MemberExpression || !releaseMethods.test(propertyName(callee) ?? '')) return false;
    const object = unwrap(callee.object);
    if (object.type === AST_NODE_TYPES.Identifier && heldLock(model, object)) return true;
    // lock.release(handle)
    if (expression.arguments.some((argument) => argument.type === AST_NODE_TYPES.Identifier && heldLock(model, argument))) return true;
    // await mutex.lock(); try { … } finally { mutex.unlock(); }
    return lockLike(model, object) === true && lockedBefore(model, statement, object);
  });
}

/** True when the variable is assigned what an awaited acquisition of a lock returns. */
function heldLock(model: FileModel, identifier: TSESTree.Identifier): boolean {
  const variable = ASTUtils.findVariable(model.sourceCode.getScope(identifier), identifier);
  if (!variable) return false;
  return variable.references.some((reference) => reference.isWrite() && reference.writeExpr != null && acquisition(model, reference.writeExpr, true));
}

/**
 * True for `await x.acquire()` / `await x.lock()` / `await x.readLock()` … on a lock (a Mutex, a
 * Semaphore of one, a SafeMap, a value named like a lock), or `await acquireLock(…)`; with
 * awaited false, the call need not be awaited (an `await using` initialiser).
 */
function acquisition(model: FileModel, expression: TSESTree.Node, awaited: boolean): boolean {
  let value = unwrap(expression);
  if (value.type === AST_NODE_TYPES.AwaitExpression) value = unwrap(value.argument);
  else if (awaited) return false;
  if (value.type !== AST_NODE_TYPES.CallExpression) return false;
  const callee = unwrap(value.callee);
  if (callee.type === AST_NODE_TYPES.Identifier) return lockCall.test(callee.name) || /^acquire/u.test(callee.name);
  if (callee.type !== AST_NODE_TYPES.MemberExpression) return false;
  const method = propertyName(callee) ?? '';
  if (lockCall.test(method)) return lockLike(model, callee.object) !== false;
  return acquireMethods.has(method) && lockLike(model, callee.object) === true;
}

/** True when an earlier statement of the block (or the start of the try) awaits `object.lock()`. */
function lockedBefore(model: FileModel, statement: TSESTree.TryStatement, object: TSESTree.Node): boolean {
  const siblings = statement.parent && 'body' in statement.parent && Array.isArray(statement.parent.body) ? (statement.parent.body as TSESTree.Node[]) : [];
  const candidates = [...siblings.slice(0, Math.max(0, siblings.indexOf(statement))), ...statement.block.body];
  return candidates.some((candidate) => {
    if (candidate.type !== AST_NODE_TYPES.ExpressionStatement) return false;
    const expression = unwrap(candidate.expression);
    if (expression.type !== AST_NODE_TYPES.AwaitExpression) return false;
    const call = unwrap(expression.argument);
    if (call.type !== AST_NODE_TYPES.CallExpression) return false;
    const callee = unwrap(call.callee);
    return callee.type === AST_NODE_TYPES.MemberExpression && acquireMethods.has(propertyName(callee) ?? '') && sameText(model.sourceCode, callee.object, object);
  });
}

/** True for `await using held = await map.lock(key)` (or `acquire`, `readLock`, …): a held lock. */
function holdsLock(model: FileModel, declaration: TSESTree.VariableDeclaration): boolean {
  if (declaration.kind !== 'await using' && declaration.kind !== 'using') return false;
  return declaration.declarations.some((declarator) => declarator.init !== null && acquisition(model, declarator.init, false));
}

/**
 * Whether a value is a lock: true for a Mutex, a Semaphore of one, a SafeMap or ShardedMap, a
 * value built by or named after a lock; false for a Semaphore of a literal count above one; null
 * when nothing says.
 */
function lockLike(model: FileModel, node: TSESTree.Node): boolean | null {
  const target = unwrap(node);
  let init: TSESTree.Node | null = null;
  let name = '';
  if (target.type === AST_NODE_TYPES.Identifier) {
    name = target.name;
    const map = model.resolver.resolve(target);
    if (map && (map.kind === 'SafeMap' || map.kind === 'ShardedMap')) return true;
    const definition = ASTUtils.findVariable(model.sourceCode.getScope(target), target)?.defs[0];
    if (definition?.node.type === AST_NODE_TYPES.VariableDeclarator) {
      init = definition.node.init;
      const annotation = definition.node.id.typeAnnotation;
      if (annotation) name += ` ${model.sourceCode.getText(annotation)}`;
    }
  } else if (target.type === AST_NODE_TYPES.MemberExpression) {
    name = calleeText(target) ?? '';
    if (target.object.type === AST_NODE_TYPES.ThisExpression) init = fieldInitialiser(target);
  } else if (target.type === AST_NODE_TYPES.CallExpression) {
    name = calleeText(target.callee) ?? '';
  }
  if (init) {
    const built = lockValue(init);
    if (built !== null) return built;
  }
  return lockName.test(name) ? true : null;
}

/** What an initialiser says about a lock: `new Mutex()`, `new Semaphore(4)`, `withTimeout(new Mutex(), …)`. */
function lockValue(init: TSESTree.Node): boolean | null {
  const value = unwrap(init);
  if (value.type !== AST_NODE_TYPES.NewExpression && value.type !== AST_NODE_TYPES.CallExpression) return null;
  const name = calleeText(value.callee) ?? '';
  if (/semaphore/iu.test(name)) {
    const count = value.arguments[0];
    return !(count?.type === AST_NODE_TYPES.Literal && typeof count.value === 'number' && count.value > 1);
  }
  if (/^(?:withTimeout|tryAcquire)$/u.test(name.split('.').pop()!) && value.arguments[0]) return lockValue(value.arguments[0]);
  return lockName.test(name) ? true : null;
}

/** The initialiser of the class field `this.name` refers to, when the class declares one. */
function fieldInitialiser(member: TSESTree.MemberExpression): TSESTree.Node | null {
  const name = propertyName(member);
  for (let current: TSESTree.Node | undefined = member.parent; current; current = current.parent) {
    if (current.type === AST_NODE_TYPES.ClassBody) {
      const field = current.body.find(
        (element) => element.type === AST_NODE_TYPES.PropertyDefinition && element.key.type === AST_NODE_TYPES.Identifier && element.key.name === name,
      );
      return field?.type === AST_NODE_TYPES.PropertyDefinition ? field.value : null;
    }
  }
  return null;
}

/**
 * The callbacks a call hands to a limiter that runs several at once (`pLimit(4)`, a PQueue of
 * concurrency 4): they run as part of the task, concurrently with their siblings.
 */
export function limitedCallbacks(model: FileModel, call: TSESTree.CallExpression | TSESTree.NewExpression): FunctionNode[] {
  const callee = unwrap(call.callee);
  const limited =
    (callee.type === AST_NODE_TYPES.Identifier && limiterOf(model, callee, 'pLimit') === 'many') ||
    (callee.type === AST_NODE_TYPES.MemberExpression && propertyName(callee) === 'add' && limiterOf(model, callee.object, 'PQueue') === 'many');
  return limited ? call.arguments.flatMap((argument) => model.functionsOf(argument)) : [];
}

function isPattern(guard: string): boolean {
  return guard.length > 2 && guard.startsWith('/') && guard.lastIndexOf('/') > 0;
}

/** True when node names a `pLimit(1)` limiter or a `new PQueue({ concurrency: 1 })`. */
function concurrencyOne(model: FileModel, node: TSESTree.Node, kind: 'pLimit' | 'PQueue'): boolean {
  return limiterOf(model, node, kind) === 'one';
}

/** Whether node names a limiter of that kind running one callback at a time, several, or is none. */
function limiterOf(model: FileModel, node: TSESTree.Node, kind: 'pLimit' | 'PQueue'): 'one' | 'many' | null {
  const target = unwrap(node);
  let init: TSESTree.Node | null = null;
  if (target.type === AST_NODE_TYPES.Identifier) {
    const definition = ASTUtils.findVariable(model.sourceCode.getScope(target), target)?.defs[0];
    if (definition?.node.type === AST_NODE_TYPES.VariableDeclarator) init = definition.node.init;
  } else if (target.type === AST_NODE_TYPES.MemberExpression && target.object.type === AST_NODE_TYPES.ThisExpression) {
    const name = propertyName(target);
    for (let current: TSESTree.Node | undefined = target.parent; current; current = current.parent) {
      if (current.type === AST_NODE_TYPES.ClassBody) {
        const field = current.body.find(
          (member) => member.type === AST_NODE_TYPES.PropertyDefinition && member.key.type === AST_NODE_TYPES.Identifier && member.key.name === name,
        );
        init = field?.type === AST_NODE_TYPES.PropertyDefinition ? field.value : null;
        break;
      }
    }
  }
  if (!init) return null;
  const value = unwrap(init);
  if (kind === 'pLimit') {
    if (value.type !== AST_NODE_TYPES.CallExpression || calleeText(value.callee)?.toLowerCase() !== 'plimit') return null;
    return isOne(value.arguments[0]) ? 'one' : 'many';
  }
  if (value.type !== AST_NODE_TYPES.NewExpression || calleeText(value.callee) !== 'PQueue') return null;
  const settings = value.arguments[0];
  const concurrency =
    settings?.type === AST_NODE_TYPES.ObjectExpression
      ? settings.properties.find(
          (property): property is TSESTree.Property =>
            property.type === AST_NODE_TYPES.Property && property.key.type === AST_NODE_TYPES.Identifier && property.key.name === 'concurrency',
        )
      : undefined;
  return concurrency && isOne(concurrency.value) ? 'one' : 'many';
}

function isOne(node: TSESTree.Node | undefined): boolean {
  return node?.type === AST_NODE_TYPES.Literal && node.value === 1;
}

