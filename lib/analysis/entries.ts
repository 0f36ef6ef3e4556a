/**
 * Entries: the functions a file's callers start, not the file itself, and start again before an
 * earlier run has finished. Each is a group of one task with many instances (every call, request,
 * event or editor request overlaps the others):
 *
 * - exported functions (`export async function`, `export default`, `export const f = async …`,
 *   `export { f }`, `module.exports = { f }`, `module.exports.f =`, `exports.f =`), the methods of
 *   exported object literals, and the public methods (not `private`, `protected` or `#m`) of
 *   exported classes and of exported instances (`export const users = new UserService()`);
 * - request handlers: every function argument of `app.get/post/put/patch/delete/del/all/use/
 *   head/options(…)` and of `app.route(path).get(…)`, the `handler` of `app.route({ … })`, where
 *   `app` is an application or router: a name that is `app`, `router`, `server`, `fastify` or
 *   `api`, or ends in `App`, `Router`, `Server` or `Api` (`adminRouter`), or a variable built by
 *   `express()`, `express.Router()`, `Router()`, `new Koa()`, `new Router()`, `fastify()`,
 *   `new Hono()`, `polka()`; and the handlers of `http.createServer(…)` (https, http2, or an
 *   imported `createServer`);
 * - EventEmitter listeners: `x.on/once/addListener/prependListener(event, fn)` for any event but
 *   'message' (the worker rule's); a `once` listener runs once (the same function registered with
 *   `on` too is also an entry of its own, which runs many times);
 * - editor and language-server callbacks: `on[A-Z]…(fn)` on `connection`, `documents`, `client`
 *   or `server`, `workspace/window.onDid…(fn)`, `commands.registerCommand(id, fn)` and the
 *   methods of the provider given to `languages.register…Provider(selector, provider)`.
 *
 * Only functions that can be suspended count: async functions and generators, and plain
 * functions that start an async function of this file without waiting for it. A function called
 * only from within the file is no entry: the file's own calls decide how it runs.
 */
import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import { calleeText, isFunction, propertyName, unwrap, type ClassNode, type FunctionNode } from './ast.js';
import type { FileModel } from './file-model.js';
import type { TaskGroup } from './tasks.js';

/** Why runs of an entry overlap, as the message names the writer. */
const overlaps = {
  call: 'while another call of it writes it (every call runs concurrently with the others)',
  request: 'while another request writes it (every request runs concurrently with the others)',
  connection: 'while the handler of another connection writes it (every connection runs concurrently with the others)',
  event: 'while the run for a later event writes it (events arrive while an earlier run still waits)',
  editor: 'while another run of it writes it (the editor calls it again while an earlier run still waits)',
} as const;

interface Entry {
  root: FunctionNode;
  origin: TSESTree.Node;
  label: string;
  overlap: string;
  many: boolean;
}

/**
 * The entries of a file as task groups. An entry that reaches another entry's function leaves
 * that function's sections to it, so each is reported under its own name. `canOverlap` tells
 * whether a plain function starts async work it does not wait for.
 */
export function entryGroups(model: FileModel, canOverlap: (fn: FunctionNode) => boolean): TaskGroup[] {
  const finder = new EntryFinder(model, canOverlap);
  const entries = [...finder.fromCalls(), ...finder.fromExports()];
  const roots = new Set<TSESTree.Node>(entries.map((entry) => entry.root));
  return entries.map((entry) => ({
    origin: entry.origin,
    label: entry.label,
    tasks: [{ root: entry.root, many: entry.many }],
    overlap: entry.overlap,
    reportedElsewhere: (root: TSESTree.Node) => root !== entry.root && roots.has(root),
  }));
}

const routeMethods = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'all', 'use', 'head', 'options']);
const appNames = /^(?:app|router|server|fastify|api)$|(?:App|Router|Server|Api)$/u;
const appFactories = /^(?:express(?:\.Router)?|Router|KoaRouter|Koa|fastify|Fastify|Hono|polka)$/u;
const listenerMethods = new Set(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener']);
const editorReceivers = new Set(['connection', 'documents', 'client', 'server']);
const serverFactory = /^(?:(?:https?|http2)\.)?create(?:Secure)?Server$/u;

class EntryFinder {
  constructor(
    private readonly model: FileModel,
    private readonly canOverlap: (fn: FunctionNode) => boolean,
  ) {}

  /** Handlers, listeners and editor callbacks: the calls that register them. */
  fromCalls(): Entry[] {
    const entries: Entry[] = [];
    for (const { node } of this.model.calls) {
      if (node.type !== AST_NODE_TYPES.CallExpression) continue;
      entries.push(...this.routeHandlers(node), ...this.serverHandlers(node), ...this.listeners(node), ...this.editorCallbacks(node));
    }
    return entries;
  }

  /** Exported functions and the public methods of exported classes, ES modules and CommonJS. */
  fromExports(): Entry[] {
    const entries: Entry[] = [];
    for (const statement of this.model.sourceCode.ast.body) {
      if (statement.type === AST_NODE_TYPES.ExportDefaultDeclaration) entries.push(...this.exported(statement.declaration, 'default', statement));
      if (statement.type !== AST_NODE_TYPES.ExportNamedDeclaration) continue;
      const declaration = statement.declaration;
      if (declaration?.type === AST_NODE_TYPES.FunctionDeclaration || declaration?.type === AST_NODE_TYPES.ClassDeclaration) {
        entries.push(...this.exported(declaration, declaration.id?.name ?? 'default', statement));
      } else if (declaration?.type === AST_NODE_TYPES.VariableDeclaration) {
        for (const declarator of declaration.declarations) {
          if (declarator.id.type === AST_NODE_TYPES.Identifier && declarator.init) entries.push(...this.exported(declarator.init, declarator.id.name, statement));
        }
      } else if (!declaration && !statement.source) {
        for (const specifier of statement.specifiers) {
          if (specifier.type !== AST_NODE_TYPES.ExportSpecifier || specifier.local.type !== AST_NODE_TYPES.Identifier) continue;
          const name = specifier.exported.type === AST_NODE_TYPES.Identifier ? specifier.exported.name : String(specifier.exported.value);
          entries.push(...this.exported(specifier.local, name, specifier));
        }
      }
    }
    for (const assignment of this.model.assignments) {
      const name = commonJsExport(assignment.left);
      if (name !== null) entries.push(...this.exported(assignment.right, name, assignment));
    }
    return entries;
  }

  /** The entries behind an exported value: a function, a class, or an object of them (CommonJS). */
  private exported(value: TSESTree.Node, name: string, origin: TSESTree.Node, depth = 0): Entry[] {
    const node = this.definitionOf(unwrap(value));
    if (!node) return [];
    if (isFunction(node)) {
      const own = node.type !== AST_NODE_TYPES.ArrowFunctionExpression && node.id ? node.id.name : name;
      const label = own === 'default' ? `the default-exported ${kindOf(node, 'function')}` : `the exported ${kindOf(node, 'function')} '${own}'`;
      return this.entry(node, origin, label, overlaps.call);
    }
    if (node.type === AST_NODE_TYPES.ClassDeclaration || node.type === AST_NODE_TYPES.ClassExpression) {
      return this.publicMethods(node, node.id?.name ?? name, origin);
    }
    // a shared instance: `export const users = new UserService()`, `export default new Client()`
    if (node.type === AST_NODE_TYPES.NewExpression && depth === 0) {
      const cls = this.definitionOf(unwrap(node.callee));
      if (cls?.type === AST_NODE_TYPES.ClassDeclaration || cls?.type === AST_NODE_TYPES.ClassExpression) return this.publicMethods(cls, cls.id?.name ?? name, origin);
    }
    if (node.type === AST_NODE_TYPES.ObjectExpression && depth === 0) {
      return node.properties.flatMap((property) =>
        property.type === AST_NODE_TYPES.Property && !property.computed && property.key.type === AST_NODE_TYPES.Identifier
          ? this.exported(property.value, property.key.name, origin, depth + 1)
          : [],
      );
    }
    return [];
  }

  /** What a name stands for when this file defines it: a function, a class or an object literal. */
  private definitionOf(node: TSESTree.Node): TSESTree.Node | null {
    if (node.type !== AST_NODE_TYPES.Identifier) return node;
    const variable = ASTUtils.findVariable(this.model.sourceCode.getScope(node), node);
    const definition = variable?.defs[0];
    if (!definition) return null;
    if (definition.node.type === AST_NODE_TYPES.FunctionDeclaration || definition.node.type === AST_NODE_TYPES.ClassDeclaration) return definition.node;
    if (definition.node.type === AST_NODE_TYPES.VariableDeclarator && definition.node.init) return unwrap(definition.node.init);
    return null;
  }

  /** The public methods of a class (static ones included), and its fields holding functions. */
  private publicMethods(cls: ClassNode, className: string, origin: TSESTree.Node): Entry[] {
    const entries: Entry[] = [];
    for (const member of cls.body.body) {
      if (member.type !== AST_NODE_TYPES.MethodDefinition && member.type !== AST_NODE_TYPES.PropertyDefinition) continue;
      if (member.type === AST_NODE_TYPES.MethodDefinition && member.kind !== 'method') continue;
      if (member.key.type === AST_NODE_TYPES.PrivateIdentifier || member.accessibility === 'private' || member.accessibility === 'protected') continue;
      const value = member.value && unwrap(member.value);
      if (!isFunction(value)) continue;
      const name = member.computed ? `[${this.model.sourceCode.getText(member.key)}]` : member.key.type === AST_NODE_TYPES.Identifier ? member.key.name : String(member.key.value);
      entries.push(...this.entry(value, origin, `the public ${kindOf(value, 'method')} '${className}.${name}'`, overlaps.call));
    }
    return entries;
  }

  /** `app.post('/orders', auth, async (req, res) => …)`, `app.route('/x').get(…)`, `app.route({ handler })`. */
  private routeHandlers(call: TSESTree.CallExpression): Entry[] {
    const callee = unwrap(call.callee);
    if (callee.type !== AST_NODE_TYPES.MemberExpression) return [];
    const method = propertyName(callee);
    if (method === 'route' && this.isApp(callee.object)) return this.routeOptions(call);
    if (!method || !routeMethods.has(method)) return [];
    let path = pathOf(call.arguments[0]);
    const chained = routeChainPath(unwrap(callee.object), (object) => this.isApp(object));
    if (chained === undefined && !this.isApp(callee.object)) return [];
    if (chained !== undefined) path = chained;
    const label = requestLabel(method, path);
    return call.arguments.flatMap((argument) => this.handlers(argument, call, label, overlaps.request));
  }

  /** Fastify's `app.route({ method: 'POST', url: '/orders', handler: async … })`. */
  private routeOptions(call: TSESTree.CallExpression): Entry[] {
    const options = call.arguments[0] && unwrap(call.arguments[0]);
    if (options?.type !== AST_NODE_TYPES.ObjectExpression) return [];
    const property = (key: string) =>
      options.properties.find(
        (p): p is TSESTree.Property => p.type === AST_NODE_TYPES.Property && !p.computed && p.key.type === AST_NODE_TYPES.Identifier && p.key.name === key,
      )?.value;
    const handler = property('handler');
    if (!handler) return [];
    const method = pathOf(property('method'));
    const label = requestLabel(method?.toLowerCase() ?? 'all', pathOf(property('url') ?? property('path')));
    return this.handlers(handler, call, label, overlaps.request);
  }

  /** `http.createServer(async (req, res) => …)`, `https.createServer(options, handler)`. */
  private serverHandlers(call: TSESTree.CallExpression): Entry[] {
    const name = calleeText(call.callee);
    if (!name || !serverFactory.test(name)) return [];
    return call.arguments.flatMap((argument) => this.handlers(argument, call, `the ${name} request handler`, overlaps.request));
  }

  /** `stream.on('data', async (chunk) => …)`; `server.on('request', …)` is a request handler. */
  private listeners(call: TSESTree.CallExpression): Entry[] {
    const callee = unwrap(call.callee);
    if (callee.type !== AST_NODE_TYPES.MemberExpression) return [];
    const method = propertyName(callee);
    const [event, listener] = call.arguments;
    if (!method || !listenerMethods.has(method) || !event || !listener) return [];
    const eventName = event.type === AST_NODE_TYPES.Literal ? String(event.value) : null;
    if (eventName === 'message') return [];
    const many = method !== 'once' && method !== 'prependOnceListener';
    if (eventName === 'request') return this.handlers(listener, call, "the 'request' handler", overlaps.request, many);
    if (eventName === 'connection') return this.handlers(listener, call, "the 'connection' handler", overlaps.connection, many);
    const label = `the ${eventName === null ? this.model.sourceCode.getText(event) : `'${eventName}'`} listener`;
    return this.handlers(listener, call, label, overlaps.event, many);
  }

  /** LSP `connection.onCompletion(…)`, `workspace.onDidSaveTextDocument(…)`, commands and providers. */
  private editorCallbacks(call: TSESTree.CallExpression): Entry[] {
    const callee = unwrap(call.callee);
    if (callee.type !== AST_NODE_TYPES.MemberExpression) return [];
    const method = propertyName(callee) ?? '';
    const receiver = receiverName(callee.object);
    const text = calleeText(callee) ?? method;
    if ((/^on[A-Z]\w*$/u.test(method) && editorReceivers.has(receiver ?? '')) || (/^onDid[A-Z]\w*$/u.test(method) && (receiver === 'workspace' || receiver === 'window'))) {
      return call.arguments.flatMap((argument) => this.handlers(argument, call, `the ${text} callback`, overlaps.editor));
    }
    if (receiver === 'commands' && /^register(?:TextEditor)?Command$/u.test(method) && call.arguments[1]) {
      const id = pathOf(call.arguments[0]);
      return this.handlers(call.arguments[1], call, id === null ? 'the command' : `the command '${id}'`, overlaps.editor);
    }
    const provider = receiver === 'languages' ? /^register(\w+)Provider$/u.exec(method) : null;
    if (!provider) return [];
    const kind = provider[1]!.replace(/(?<=[a-z])(?=[A-Z])/gu, ' ').toLowerCase();
    return call.arguments.slice(1).flatMap((argument) => this.providerMethods(argument, call, kind));
  }

  /** The methods of a provider object: an object literal, or an instance of a class of this file. */
  private providerMethods(argument: TSESTree.Node, call: TSESTree.CallExpression, kind: string): Entry[] {
    let value = this.definitionOf(unwrap(argument));
    if (value?.type === AST_NODE_TYPES.NewExpression) value = this.definitionOf(unwrap(value.callee));
    const members: [string, TSESTree.Node][] = [];
    if (value?.type === AST_NODE_TYPES.ObjectExpression) {
      for (const p of value.properties) if (p.type === AST_NODE_TYPES.Property && p.key.type === AST_NODE_TYPES.Identifier) members.push([p.key.name, p.value]);
    } else if (value?.type === AST_NODE_TYPES.ClassDeclaration || value?.type === AST_NODE_TYPES.ClassExpression) {
      for (const m of value.body.body) {
        if ((m.type === AST_NODE_TYPES.MethodDefinition || m.type === AST_NODE_TYPES.PropertyDefinition) && !m.static && m.key.type === AST_NODE_TYPES.Identifier && m.value) {
          members.push([m.key.name, m.value]);
        }
      }
    }
    return members.flatMap(([name, fn]) => this.handlers(fn, call, `the '${name}' method of the ${kind} provider`, overlaps.editor));
  }

  /** The entries of a function value handed to a registration. */
  private handlers(argument: TSESTree.Node, origin: TSESTree.Node, label: string, overlap: string, many = true): Entry[] {
    return this.model.functionsOf(argument).flatMap((fn) => this.entry(fn, origin, label, overlap, many));
  }

  /** An entry when the function can be suspended, or starts async work it does not wait for. */
  private entry(root: FunctionNode, origin: TSESTree.Node, label: string, overlap: string, many = true): Entry[] {
    if (!root.async && !root.generator && !this.canOverlap(root)) return [];
    return [{ root, origin, label, overlap, many }];
  }

  /** True for an application or router: by its name, or built by a framework's factory. */
  private isApp(node: TSESTree.Node): boolean {
    const object = unwrap(node);
    const name = receiverName(object);
    if (name !== null && appNames.test(name)) return true;
    if (object.type !== AST_NODE_TYPES.Identifier) return false;
    const definition = ASTUtils.findVariable(this.model.sourceCode.getScope(object), object)?.defs[0];
    if (definition?.node.type !== AST_NODE_TYPES.VariableDeclarator || !definition.node.init) return false;
    const init = unwrap(definition.node.init);
    if (init.type !== AST_NODE_TYPES.CallExpression && init.type !== AST_NODE_TYPES.NewExpression) return false;
    return appFactories.test(calleeText(init.callee) ?? '');
  }
}

/** `function` / `async function` / `generator` / `async generator` (or `method`…), as labels say it. */
function kindOf(fn: FunctionNode, noun: 'function' | 'method'): string {
  const word = fn.generator ? 'generator' : noun;
  return fn.async ? `async ${word}` : word;
}

/** The name of a receiver: `app`, `this.app` → `app`; null for anything else. */
function receiverName(node: TSESTree.Node): string | null {
  const object = unwrap(node);
  if (object.type === AST_NODE_TYPES.Identifier) return object.name;
  if (object.type === AST_NODE_TYPES.MemberExpression) return propertyName(object);
  return null;
}

/** A string the code spells out: `'/orders'`, `` `/orders` ``; null otherwise. */
function pathOf(node: TSESTree.Node | undefined): string | null {
  const value = node && unwrap(node);
  if (value?.type === AST_NODE_TYPES.Literal && typeof value.value === 'string') return value.value;
  if (value?.type === AST_NODE_TYPES.TemplateLiteral && value.expressions.length === 0) return value.quasis[0]!.value.cooked ?? null;
  return null;
}

/** `app.route('/x').get(…).post(…)`: the path of the route the chain starts from; undefined when no such chain. */
function routeChainPath(object: TSESTree.Node, isApp: (node: TSESTree.Node) => boolean): string | null | undefined {
  let current = object;
  while (current.type === AST_NODE_TYPES.CallExpression) {
    const callee = unwrap(current.callee);
    if (callee.type !== AST_NODE_TYPES.MemberExpression) return undefined;
    const method = propertyName(callee);
    if (method === 'route') return isApp(callee.object) ? pathOf(current.arguments[0]) : undefined;
    if (!method || !routeMethods.has(method)) return undefined;
    current = unwrap(callee.object);
  }
  return undefined;
}

/** "the POST /orders request handler", "the /api middleware", "the request handler". */
function requestLabel(method: string, path: string | null): string {
  if (method === 'use') return path === null ? 'the middleware' : `the ${path} middleware`;
  const verb = method === 'all' ? '' : `${method === 'del' ? 'DELETE' : method.toUpperCase()} `;
  return `the ${verb}${path === null ? '' : `${path} `}request handler`;
}

/** The exported name `module.exports = …` (`default`), `module.exports.f = …` or `exports.f = …` assigns; null otherwise. */
function commonJsExport(left: TSESTree.Node): string | null {
  const target = unwrap(left);
  if (target.type !== AST_NODE_TYPES.MemberExpression) return null;
  const text = calleeText(target);
  if (text === 'module.exports') return 'default';
  const object = calleeText(target.object);
  return object === 'module.exports' || object === 'exports' ? propertyName(target) : null;
}
