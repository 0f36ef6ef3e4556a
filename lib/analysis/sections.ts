/**
 * Critical sections: in one function (or loop body), a read of a map whose result decides or
 * feeds a later write to the same map, with a suspension (`await`, `yield`, `for await`) between
 * them; or a loop over the live map with a suspension in its body. Sections under a recognised
 * guard are left out.
 */
import { AST_NODE_TYPES, ASTUtils, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { calleeText, contains, isFunction, propertyName, sameText, unwrap, walkOwnBody, type FunctionNode } from './ast.js';
import type { Access, FileModel, Suspension } from './file-model.js';

export interface ReadWriteSection {
  type: 'read-write';
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
  const accesses = model.within(model.accesses, root);
  const suspensions = model.within(model.suspensions, root);
  if (suspensions.length === 0) return [];
  const sections: Section[] = [];
  for (const read of accesses) {
    if (read.kind === 'iterate') {
      const section = liveLoop(read, suspensions);
      if (section && !guards.guards(model, read.node)) sections.push(section);
      continue;
    }
    if (read.kind === 'update') {
      // obj[k] += await f(): the old value is read before the await and written after it
      const suspension = suspensions.find((s) => contains(read.node, s.node));
      if (suspension && !guards.guards(model, read.node)) sections.push({ type: 'read-write', read, write: read, suspension });
      continue;
    }
    if (read.kind !== 'read') continue;
    for (const write of accesses) {
      if (write.identity !== read.identity || (write.kind !== 'write' && write.kind !== 'update')) continue;
      // the write takes effect after the read: it follows it, or the read is among its arguments
      if (!contains(write.node, read.node) && write.node.range[0] < read.node.range[1]) continue;
      const suspension = suspensions.find(
        (s) => s.node.range[0] >= read.node.range[1] && s.node.range[1] <= write.node.range[1] && !contains(s.node, read.node),
      );
      if (!suspension) continue;
      if (!decides(model, read, write, root, suspension)) continue;
      if (guards.guards(model, read.node) || guards.guards(model, write.node)) continue;
      sections.push({ type: 'read-write', read, write, suspension });
      break;
    }
  }
  return sections;
}

/** A `for … of` over the live map (or its keys/values/entries) with a suspension in its body. */
function liveLoop(access: Access, suspensions: Suspension[]): LiveLoopSection | null {
  if (access.node.type !== AST_NODE_TYPES.ForOfStatement || access.node.await) return null;
  const body = access.node.body;
  const suspension = suspensions.find((s) => contains(body, s.node));
  return suspension ? { type: 'live-loop', loop: access, suspension } : null;
}

// ---- does the read decide or feed the write? -----------------------------------------------------

/**
 * True when the write uses what the read returned: the read is inside the write, the write uses a
 * variable computed from the read, the write runs only because of a test of the read (an `if`
 * around the write, or an early `return` before it), or the task awaits work on the value it read
 * and then overwrites that entry (`const n = m.get(k); await flush(n); m.set(k, 0)`).
 */
function decides(model: FileModel, read: Access, write: Access, root: TSESTree.Node, suspension: Suspension): boolean {
  if (contains(write.node, read.node)) return true;
  const tainted = taintedNames(model, read, root);
  if (usesAny(model, write.node, tainted)) return true;
  if (read.key && write.key && sameText(model.sourceCode, read.key, write.key) && usesAny(model, suspension.node, tainted)) return true;
  for (let current: TSESTree.Node | undefined = write.node.parent; current && current !== root; current = current.parent) {
    const test = testOf(current);
    if (test && test.range[1] <= write.node.range[0] && (contains(test, read.node) || usesAny(model, test, tainted))) return true;
  }
  // an early exit decided by the read: `if (cached) return cached;` before the write
  const exits: TSESTree.IfStatement[] = [];
  walkOwnBody(root, model.sourceCode.visitorKeys, (node) => {
    if (node.type === AST_NODE_TYPES.IfStatement && node.range[1] >= read.node.range[1] && node.range[1] <= write.node.range[0]) exits.push(node);
  });
  return exits.some((statement) => (contains(statement.test, read.node) || usesAny(model, statement.test, tainted)) && exitsEarly(statement.consequent));
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

function exitsEarly(statement: TSESTree.Statement): boolean {
  if (statement.type === AST_NODE_TYPES.ReturnStatement || statement.type === AST_NODE_TYPES.ThrowStatement) return true;
  if (statement.type === AST_NODE_TYPES.ContinueStatement || statement.type === AST_NODE_TYPES.BreakStatement) return true;
  if (statement.type === AST_NODE_TYPES.BlockStatement) {
    const last = statement.body.at(-1);
    return last !== undefined && exitsEarly(last);
  }
  return false;
}

/** Variables holding the read's result, or values computed from it, within the root. */
function taintedNames(model: FileModel, read: Access, root: TSESTree.Node): Set<TSESLint.Scope.Variable> {
  const tainted = new Set<TSESLint.Scope.Variable>();
  const bind = (pattern: TSESTree.Node): void => {
    for (const variable of model.sourceCode.getDeclaredVariables(pattern.parent!)) tainted.add(variable);
  };
  const holder = bindingOf(read.node);
  if (holder) bind(holder);
  // values computed from tainted variables, in order, to a fixpoint over the root's declarations
  const declarators: TSESTree.VariableDeclarator[] = [];
  const assignments: TSESTree.AssignmentExpression[] = [];
  walkOwnBody(root, model.sourceCode.visitorKeys, (node) => {
    if (node.type === AST_NODE_TYPES.VariableDeclarator && node.init) declarators.push(node);
    if (node.type === AST_NODE_TYPES.AssignmentExpression && node.left.type === AST_NODE_TYPES.Identifier) assignments.push(node);
  });
  for (let changed = true; changed; ) {
    changed = false;
    for (const declarator of declarators) {
      const before = tainted.size;
      if (usesAny(model, declarator.init!, tainted)) for (const variable of model.sourceCode.getDeclaredVariables(declarator)) tainted.add(variable);
      if (tainted.size !== before) changed = true;
    }
    for (const assignment of assignments) {
      const target = ASTUtils.findVariable(model.sourceCode.getScope(assignment.left), assignment.left as TSESTree.Identifier);
      if (target && !tainted.has(target) && (contains(assignment.right, read.node) || usesAny(model, assignment.right, tainted))) {
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
function usesAny(model: FileModel, node: TSESTree.Node, variables: ReadonlySet<TSESLint.Scope.Variable>): boolean {
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
 * What serializes a section: a callback given to a lock (async-mutex `runExclusive`, async-lock
 * `acquire(key, fn)`, `navigator.locks.request`, a p-limit or p-queue of concurrency 1, the
 * user's `guards`), a `try` whose `finally` releases a lock taken before it, or an
 * `await using` lock handle in an enclosing block.
 */
export class GuardMatcher {
  private readonly names: string[];
  private readonly patterns: RegExp[];

  constructor(userGuards: readonly string[]) {
    this.names = userGuards.filter((guard) => !isPattern(guard));
    this.patterns = userGuards.filter(isPattern).map((guard) => new RegExp(guard.slice(1, guard.lastIndexOf('/')), guard.slice(guard.lastIndexOf('/') + 1)));
  }

  /** True when node runs under a guard. */
  guards(model: FileModel, node: TSESTree.Node): boolean {
    for (let current: TSESTree.Node = node; current.parent; current = current.parent) {
      const parent = current.parent;
      if (isFunction(current) && (parent.type === AST_NODE_TYPES.CallExpression || parent.type === AST_NODE_TYPES.NewExpression)) {
        if (parent.arguments.some((argument) => argument === current) && this.isGuardCall(model, parent)) return true;
      }
      if (parent.type === AST_NODE_TYPES.TryStatement && parent.block === current && parent.finalizer && releases(parent.finalizer)) return true;
      if (parent.type === AST_NODE_TYPES.BlockStatement || parent.type === AST_NODE_TYPES.Program) {
        for (const statement of parent.body) {
          if (statement === current) break;
          if (statement.type === AST_NODE_TYPES.VariableDeclaration && (statement.kind === 'await using' || statement.kind === 'using')) return true;
        }
      }
    }
    return false;
  }

  private isGuardCall(model: FileModel, call: TSESTree.CallExpression | TSESTree.NewExpression): boolean {
    const text = calleeText(call.callee);
    if (text !== null) {
      if (this.names.includes(text) || this.names.includes(text.split('.').pop()!)) return true;
      if (this.patterns.some((pattern) => pattern.test(text))) return true;
    }
    const callee = unwrap(call.callee);
    const method = callee.type === AST_NODE_TYPES.MemberExpression ? propertyName(callee) : null;
    if (method === 'runExclusive' || method === 'withLock' || method === 'withReadLock') return true;
    if (method === 'acquire' && call.arguments.length >= 2) return true; // async-lock: lock.acquire(key, fn)
    if (method === 'request' && text !== null && /(?:^|\.)locks\.request$/u.test(text)) return true;
    if (method === 'add' && callee.type === AST_NODE_TYPES.MemberExpression) return concurrencyOne(model, callee.object, 'PQueue');
    if (callee.type === AST_NODE_TYPES.Identifier) return concurrencyOne(model, callee, 'pLimit');
    return false;
  }
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

/** True for a finally block that releases a lock: `release()`, `lock.release()`, `mutex.unlock()`. */
function releases(block: TSESTree.BlockStatement): boolean {
  return block.body.some((statement) => {
    if (statement.type !== AST_NODE_TYPES.ExpressionStatement) return false;
    const expression = unwrap(statement.expression);
    if (expression.type !== AST_NODE_TYPES.CallExpression) return false;
    const name = calleeText(expression.callee)?.split('.').pop() ?? '';
    return /^(?:release|unlock|releaseLock|done)$/iu.test(name);
  });
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

