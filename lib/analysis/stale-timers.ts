/**
 * Stale timers: an entry is set and a timer is started to delete it later, but the timer's handle
 * is dropped, so nothing cancels it when the key is set again:
 *
 *     this.tokens.set(user, token);
 *     setTimeout(() => this.tokens.delete(user), ttl);   // deletes the token set by the next call too
 *
 * What this looks for:
 * - a `setTimeout` whose callback (a function literal) deletes a key of a map (`m.delete(k)`,
 *   `delete record[k]`) without checking first which entry is there: a delete under an `if` (or
 *   `?:`, `&&`) whose test reads the map, or a local read from it, is a check
 *   (`if (m.get(k) === entry) m.delete(k)`, `if (e && e.expires <= Date.now())`), and so is an
 *   early return under such an `if`;
 * - its handle dropped: the call (or `.unref()` of it) is a statement of its own, `void`ed, or
 *   stored in a local that nothing but `.unref()` uses. A handle kept anywhere else (a field, a
 *   map of timers, returned, passed on) is taken to be cleared by whoever keeps it;
 * - in the function that starts the timer, a write of the same map with the same key (`set`,
 *   `add`, `record[k] = …`): that function can run again with the same key before the timer fires;
 *   or, when the key is that function's parameter, such a write of the key passed in a caller.
 *   Not when the function runs once (module top level, a constructor, a top-level IIFE, a function
 *   the module calls once), nor when the key is new on every run (a local from `randomUUID()`,
 *   `nanoid()`, `Symbol()`, `next++`), nor when the key is set only while absent
 *   (`if (seen.has(k)) return; seen.add(k)`) and only the timer deletes the map's keys: the next
 *   set then comes after the timer fired.
 * Other writes of the key (a function that neither starts the timer nor calls the one that does)
 * are not followed.
 */
import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import { calleeText, contains, enclosingFunction, isFunction, outermost, propertyName, sameText, unwrap, walkAll, walkOwnBody, type FunctionNode } from './ast.js';
import type { Access, FileModel } from './file-model.js';
import { isInLoop, timerOf } from './tasks.js';

export interface StaleTimer {
  /** The `setTimeout(…)` call whose handle is dropped. */
  timer: TSESTree.CallExpression;
  /** The delete in its callback. */
  removal: Access;
  /** The write of the same key in the function that starts the timer. */
  write: Access;
}

const uniqueFactories = /(?:^|\.)(?:randomUUID|uuid|uuidv4|v4|nanoid|ulid|cuid|createId|Symbol)$/u;

export function findStaleTimers(model: FileModel): StaleTimer[] {
  const found: StaleTimer[] = [];
  for (const { node: timer } of model.calls) {
    if (timer.type !== AST_NODE_TYPES.CallExpression || timerOf(timer) !== 'setTimeout' || !timer.arguments[0]) continue;
    const callback = unwrap(timer.arguments[0]);
    if (!isFunction(callback) || !handleDropped(model, timer)) continue;
    const host = enclosingFunction(timer);
    if (!host || runsOnce(model, host)) continue;
    for (const removal of model.within(model.accesses, callback)) {
      if (removal.method !== 'delete' || !removal.key || isUnique(model, removal.key)) continue;
      // a map the host builds anew on each call is not shared between its calls
      if (removal.map.scope === 'function' && removal.map.declaredIn === host) continue;
      if (underEntryTest(model, callback, removal)) continue;
      const write = writeOfKey(model, host, removal.identity, removal.key) ?? writeByCaller(model, host, removal);
      if (write && !setOnlyWhenGone(model, write, callback)) {
        found.push({ timer, removal, write });
        break;
      }
    }
  }
  return found;
}

/** The write of the map's key in fn (`set`, `add`, `record[k] = …`), or null. */
function writeOfKey(model: FileModel, fn: FunctionNode, identity: Access['identity'], key: TSESTree.Node): Access | null {
  return model.within(model.accesses, fn).find((access) => access.identity === identity && isKeyWrite(access) && sameText(model.sourceCode, access.key!, key)) ?? null;
}

/**
 * When the deleted key is a parameter of the function that starts the timer (`expireLater(key)`),
 * the write of the key its caller passes, in a caller of this file that runs more than once
 * (`set(key, value) { this.entries.set(key, value); this.expireLater(key); }`).
 */
function writeByCaller(model: FileModel, host: FunctionNode, removal: Access): Access | null {
  const key = unwrap(removal.key!);
  if (key.type !== AST_NODE_TYPES.Identifier) return null;
  const index = host.params.findIndex((param) => param.type === AST_NODE_TYPES.Identifier && param.name === key.name);
  if (index < 0) return null;
  for (const { node, owner } of model.calls) {
    const argument = node.arguments[index];
    if (!owner || !argument || isUnique(model, argument) || !model.calleesOf(node).includes(host) || runsOnce(model, owner)) continue;
    const write = writeOfKey(model, owner, removal.identity, argument);
    if (write) return write;
  }
  return null;
}

/**
 * True when the key is set only once its entry is gone (`if (m.has(k)) return; m.add(k)`) and
 * only the timer deletes it: the next set comes after the timer fired.
 */
function setOnlyWhenGone(model: FileModel, write: Access, callback: FunctionNode): boolean {
  if (!write.owner || !underEntryTest(model, write.owner, write)) return false;
  return model.writesOf(write.identity).every((other) => (other.method !== 'delete' && other.method !== 'clear') || other.owner === callback);
}

function isKeyWrite(access: Access): boolean {
  return access.kind === 'write' && access.key !== null && (access.method === 'set' || access.method === 'add' || access.method === '[]');
}

/**
 * True when nothing keeps the timer's handle: `setTimeout(…);`, `setTimeout(…).unref();`,
 * `void setTimeout(…)`, or `const t = setTimeout(…)` with `t` unused but for `t.unref()`.
 */
function handleDropped(model: FileModel, timer: TSESTree.CallExpression): boolean {
  let value: TSESTree.Node = outermost(timer);
  while (isRefCall(value.parent?.parent, value)) value = outermost(value.parent!.parent!);
  const use = value.parent;
  if (use?.type === AST_NODE_TYPES.ExpressionStatement) return true;
  if (use?.type === AST_NODE_TYPES.UnaryExpression && use.operator === 'void') return true;
  if (use?.type !== AST_NODE_TYPES.VariableDeclarator || use.init !== value || use.id.type !== AST_NODE_TYPES.Identifier) return false;
  const variable = model.sourceCode.getDeclaredVariables(use)[0];
  return variable?.references.every((reference) => reference.init || isRefCall(reference.identifier.parent?.parent, reference.identifier)) ?? false;
}

/** True for `handle.unref()` / `handle.ref()` called on value. */
function isRefCall(call: TSESTree.Node | undefined, value: TSESTree.Node): boolean {
  if (call?.type !== AST_NODE_TYPES.CallExpression) return false;
  const callee = call.callee;
  return callee.type === AST_NODE_TYPES.MemberExpression && callee.object === value && ['unref', 'ref'].includes(propertyName(callee) ?? '');
}

/**
 * Functions that run once (per instance): a constructor, an IIFE at module level, and a function
 * the module calls once at its top level and hands nowhere else (`async function start() {…}
 * start();`). Their key cannot be set again before the timer fires.
 */
function runsOnce(model: FileModel, host: FunctionNode): boolean {
  const parent = host.parent;
  if (parent?.type === AST_NODE_TYPES.MethodDefinition) return parent.kind === 'constructor';
  if (parent?.type === AST_NODE_TYPES.CallExpression && parent.callee === host) return enclosingFunction(parent) === null && !isInLoop(parent);
  const declaration = host.type === AST_NODE_TYPES.FunctionDeclaration ? host : parent?.type === AST_NODE_TYPES.VariableDeclarator && parent.init === host ? parent : null;
  if (!declaration || declaration.parent?.type === AST_NODE_TYPES.ExportNamedDeclaration || declaration.parent?.parent?.type === AST_NODE_TYPES.ExportNamedDeclaration) {
    return false;
  }
  const uses = model.sourceCode.getDeclaredVariables(declaration)[0]?.references.filter((reference) => !reference.init) ?? [];
  if (uses.length !== 1) return false;
  const call = uses[0]!.identifier.parent;
  return call?.type === AST_NODE_TYPES.CallExpression && call.callee === uses[0]!.identifier && enclosingFunction(call) === null && !isInLoop(call);
}

/** A key that is new on every run: a local from randomUUID() & co or a counter's `next++`. */
function isUnique(model: FileModel, key: TSESTree.Node): boolean {
  const value = unwrap(key);
  if (value.type !== AST_NODE_TYPES.Identifier) return false;
  const variable = ASTUtils.findVariable(model.sourceCode.getScope(value), value);
  const definition = variable?.defs[0];
  if (variable?.defs.length !== 1 || definition?.node.type !== AST_NODE_TYPES.VariableDeclarator || !definition.node.init) return false;
  if ((definition.parent as TSESTree.VariableDeclaration).kind !== 'const') return false;
  const init = unwrap(definition.node.init);
  if (init.type === AST_NODE_TYPES.UpdateExpression && init.operator === '++') return true;
  return init.type === AST_NODE_TYPES.CallExpression && uniqueFactories.test(calleeText(init.callee) ?? '');
}

/**
 * True when fn looks at the entry before the access: the access (or a `return` before it) is
 * under a test that reads the map, directly or through a local read from it. In a timer's
 * callback, a delete that checks which entry is there; in the function that sets the key, a set
 * only when the key is absent.
 */
function underEntryTest(model: FileModel, fn: FunctionNode, target: Access): boolean {
  const reads = model.within(model.accesses, fn).filter((access) => access.identity === target.identity && access.kind === 'read');
  if (reads.length === 0) return false;
  const readLocals = new Set<string>();
  walkOwnBody(fn, model.sourceCode.visitorKeys, (node) => {
    if (node.type === AST_NODE_TYPES.VariableDeclarator && node.id.type === AST_NODE_TYPES.Identifier && node.init) {
      const init = node.init;
      if (reads.some((read) => contains(init, read.node))) readLocals.add(node.id.name);
    }
  });
  const readsEntry = (test: TSESTree.Node): boolean => {
    if (reads.some((read) => contains(test, read.node))) return true;
    let found = false;
    walkAll(test, model.sourceCode.visitorKeys, (node) => {
      if (node.type === AST_NODE_TYPES.Identifier && readLocals.has(node.name)) found = true;
    });
    return found;
  };
  let checked = false;
  walkOwnBody(fn, model.sourceCode.visitorKeys, (node) => {
    if (checked) return false;
    if (node.type === AST_NODE_TYPES.IfStatement && readsEntry(node.test)) {
      checked = contains(node, target.node) || (node.range[1] <= target.node.range[0] && exits(node.consequent));
    } else if (node.type === AST_NODE_TYPES.ConditionalExpression && readsEntry(node.test)) {
      checked = contains(node, target.node);
    } else if (node.type === AST_NODE_TYPES.LogicalExpression && readsEntry(node.left)) {
      checked = contains(node.right, target.node);
    }
    return undefined;
  });
  return checked;
}

function exits(statement: TSESTree.Statement): boolean {
  if (statement.type === AST_NODE_TYPES.ReturnStatement) return true;
  return statement.type === AST_NODE_TYPES.BlockStatement && statement.body.some((inner) => inner.type === AST_NODE_TYPES.ReturnStatement);
}
