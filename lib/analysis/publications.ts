/**
 * Late publication: a request goes out carrying a key, the function awaits, and only then puts
 * the key into the map that a message handler of the same file reads the reply's key from:
 *
 *     const id = this.nextId++;
 *     await this.send({ id, method });                       // the reply can arrive during this await
 *     return new Promise((resolve) => this.pending.set(id, { resolve }));   // …and finds no entry
 *
 * A reply handled during the await looks the key up, finds nothing and is dropped; the caller
 * then waits forever. What this looks for, all in one function (a `new Promise` executor counts
 * as the function that builds the promise, since it runs at once):
 * - a write `M.set(K, V)` / `M[K] = V` whose value settles a reply: it names the executor's
 *   `resolve`/`reject`, something called resolve, reject, defer…, settle, callback, waiter, or a
 *   local made by such a call (`const reply = defer()`); a value the await brought (a cache fill)
 *   is not a pending reply; or a callback (a function literal, a parameter: `subscribe(ch, onTick)`)
 *   when the handler calls the entry it looks up (`handlers.get(tick.channel)?.(tick)`);
 * - before it, a send: a call named send…, post…, write…, emit…, request…, call…, publish…,
 *   dispatch…, notify…, invoke…, transmit… whose arguments carry K (or a local built from K, or
 *   the object K is a field of: `postMessage(job)` carries `job.jobId`);
 * - an await (or yield) that ends after the send and before the write;
 * - a handler of replies that reads M (`get`, `has`, `[]`, `delete`) with a key that is not a
 *   constant, in its own body or in a function of this file it calls: a 'message' handler
 *   (`x.on('message', …)`, `addEventListener('message', …)`, `onmessage = …`), or a stream's
 *   `'data'` / `'line'` handler (`socket.on('data', …)`, `rl.on('line', …)`).
 * A send that is not awaited before the write (`port.postMessage(…); pending.set(…)`) is one
 * synchronous step: no reply can run in between. Handlers of other events are not followed.
 */
import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import { calleeText, enclosingFunction, isFunction, propertyName, unwrap, walkAll, type FunctionNode } from './ast.js';
import { writtenValue, type Access, type FileModel, type Suspension } from './file-model.js';
import { messageRegistrars, taskGroups, type TaskGroup } from './tasks.js';

export interface LatePublication {
  /** The write that publishes the key. */
  write: Access;
  /** The await between the send and the write. */
  suspension: Suspension;
  /** The handler that reads the map, and its read. */
  handler: TaskGroup;
  read: Access;
}

const sendName = /^(?:send|post|write|emit|request|call|publish|dispatch|notify|invoke|transmit)/iu;
const settlerName = /resolve|reject|defer|settle|callback|waiter/iu;

export function findLatePublications(model: FileModel): LatePublication[] {
  const readers = new Map<Access['identity'], { handler: TaskGroup; read: Access }>();
  for (const reader of handlerReads(model)) if (!readers.has(reader.read.identity)) readers.set(reader.read.identity, reader);
  if (readers.size === 0) return [];
  const found: LatePublication[] = [];
  for (const write of model.accesses) {
    const reader = readers.get(write.identity);
    if (!reader || !(publishes(model, write) || (callsEntry(reader.read) && storesCallback(model, write)))) continue;
    const suspension = awaitAfterSend(model, write);
    if (suspension) found.push({ write, suspension, handler: reader.handler, read: reader.read });
  }
  return found;
}

/** The reads of maps by reply handlers (and the functions they call) with a key from the reply. */
function handlerReads(model: FileModel): { handler: TaskGroup; read: Access }[] {
  const reads: { handler: TaskGroup; read: Access }[] = [];
  for (const handler of [...taskGroups(model, 'worker-message'), ...streamHandlers(model)]) {
    const roots = new Set<FunctionNode>();
    for (const { root } of handler.tasks) {
      if (!isFunction(root)) continue;
      roots.add(root);
      for (const { node } of model.within(model.calls, root)) for (const callee of model.calleesOf(node)) roots.add(callee);
    }
    for (const root of roots) {
      for (const access of model.within(model.accesses, root)) {
        const looksUp = access.kind === 'read' || access.method === 'delete';
        if (looksUp && access.key && !isConstant(access.key)) reads.push({ handler, read: access });
      }
    }
  }
  return reads;
}

/**
 * Handlers of the events a stream delivers replies with: `'data'` (a socket, a child's stdout,
 * stdin: JSON-RPC, LSP) and `'line'` (readline over such a stream), on any receiver.
 */
function streamHandlers(model: FileModel): TaskGroup[] {
  const groups: TaskGroup[] = [];
  for (const { node } of model.calls) {
    const callee = unwrap(node.callee);
    if (node.type !== AST_NODE_TYPES.CallExpression || callee.type !== AST_NODE_TYPES.MemberExpression) continue;
    const [event, handler] = node.arguments;
    if (!messageRegistrars.has(propertyName(callee) ?? '') || event?.type !== AST_NODE_TYPES.Literal || !handler) continue;
    if (event.value !== 'data' && event.value !== 'line') continue;
    const roots = model.functionsOf(handler);
    if (roots.length > 0) groups.push({ origin: node, label: `a '${event.value}' handler`, tasks: roots.map((root) => ({ root, many: true })) });
  }
  return groups;
}

function isConstant(key: TSESTree.Node): boolean {
  const value = unwrap(key);
  return value.type === AST_NODE_TYPES.Literal || (value.type === AST_NODE_TYPES.TemplateLiteral && value.expressions.length === 0);
}

/** A write that stores, under a key, something that settles a reply. */
function publishes(model: FileModel, write: Access): boolean {
  if (write.kind !== 'write' || !write.key || (write.method !== 'set' && write.method !== '[]')) return false;
  const value = writtenValue(write);
  if (!value) return false;
  const executor = executorOf(write.owner);
  const executorParams = new Set(
    (executor?.params ?? []).flatMap((param) => (param.type === AST_NODE_TYPES.Identifier ? [param.name] : [])),
  );
  let settles = false;
  walkAll(value, model.sourceCode.visitorKeys, (node) => {
    if (node.type !== AST_NODE_TYPES.Identifier) return;
    if (executorParams.has(node.name) || settlerName.test(node.name)) settles = true;
    // `const reply = defer<Reply>()`: a local built by a deferred factory
    const init = localInit(model, node);
    if (init?.type === AST_NODE_TYPES.CallExpression && settlerName.test(calleeText(init.callee) ?? '')) settles = true;
  });
  return settles;
}

/** True when the handler calls the entry it looks up: `handlers.get(msg.channel)?.(msg)`. */
function callsEntry(read: Access): boolean {
  const call = read.node.parent;
  return call?.type === AST_NODE_TYPES.CallExpression && call.callee === read.node;
}

/** A write whose value is a function: a literal, or a callback handed in (`subscribe(channel, onTick)`). */
function storesCallback(model: FileModel, write: Access): boolean {
  const value = writtenValue(write);
  const stored = value ? unwrap(value) : null;
  if (!stored || isFunction(stored)) return stored !== null;
  if (stored.type !== AST_NODE_TYPES.Identifier) return false;
  const variable = model.sourceCode.getScope(stored).references.find((reference) => reference.identifier === stored)?.resolved;
  return variable?.defs.length === 1 && variable.defs[0]!.type === 'Parameter';
}

/** The function when it is the executor of `new Promise(fn)`, which runs during the `new`. */
function executorOf(fn: FunctionNode | null): FunctionNode | null {
  const parent = fn?.parent;
  if (parent?.type !== AST_NODE_TYPES.NewExpression || parent.arguments[0] !== fn) return null;
  return calleeText(parent.callee) === 'Promise' ? fn : null;
}

/** The await that ends after a send carrying the write's key and before the write, or null. */
function awaitAfterSend(model: FileModel, write: Access): Suspension | null {
  const executor = executorOf(write.owner);
  // an executor's write happens when its `new Promise` runs, in the enclosing function
  const at = executor ? executor.parent! : write.node;
  const host = executor ? enclosingFunction(executor) : write.owner;
  if (!host) return null;
  const key = text(model, write.key!);
  const sends = model.within(model.calls, host).filter(({ node }) => node.range[1] <= at.range[0] && isSendOf(model, node, key));
  if (sends.length === 0) return null;
  const firstSendEnd = Math.min(...sends.map(({ node }) => node.range[1]));
  return model.within(model.suspensions, host).find(({ node }) => node.range[1] >= firstSendEnd && node.range[1] <= at.range[0]) ?? null;
}

function isSendOf(model: FileModel, call: TSESTree.CallExpression | TSESTree.NewExpression, key: string): boolean {
  const name = calleeText(call.callee)?.split('.').pop() ?? '';
  if (!sendName.test(name)) return false;
  return call.arguments.some((argument) => carries(model, argument, key));
}

/** True when the expression mentions the key, directly or through a local initialised with it. */
function carries(model: FileModel, expression: TSESTree.Node, key: string): boolean {
  let found = false;
  walkAll(expression, model.sourceCode.visitorKeys, (node) => {
    if (found || node.type !== AST_NODE_TYPES.Identifier && node.type !== AST_NODE_TYPES.MemberExpression) return;
    // the key itself, or the object it is a field of (`postMessage(job)` carries `job.jobId`)
    if (text(model, node) === key || (node.type === AST_NODE_TYPES.Identifier && key.startsWith(`${node.name}.`) && !isObjectOfMember(node))) found = true;
    else if (node.type === AST_NODE_TYPES.Identifier) {
      const declarator = localInit(model, node);
      if (declarator && text(model, declarator).includes(key)) {
        walkAll(declarator, model.sourceCode.visitorKeys, (inner) => {
          if (text(model, inner) === key) found = true;
        });
      }
    }
  });
  return found;
}

/** `job` in `job.url`: a field of the object is sent, not the object. */
function isObjectOfMember(node: TSESTree.Identifier): boolean {
  return node.parent?.type === AST_NODE_TYPES.MemberExpression && node.parent.object === node;
}

function localInit(model: FileModel, identifier: TSESTree.Identifier): TSESTree.Expression | null {
  const scope = model.sourceCode.getScope(identifier);
  const variable = scope.references.find((reference) => reference.identifier === identifier)?.resolved;
  const definition = variable?.defs[0];
  if (variable?.defs.length !== 1 || definition?.node.type !== AST_NODE_TYPES.VariableDeclarator) return null;
  return definition.node.init;
}

function text(model: FileModel, node: TSESTree.Node): string {
  return model.sourceCode.getText(node).replace(/\s+/gu, '');
}
