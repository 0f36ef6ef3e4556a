/**
 * One pass over a file that every rule shares: each access to a map (what it does, with which
 * key), each point where a function suspends (`await`, `yield`, `for await`), each call, and the
 * function that owns each of them. Cached per file and options, so the four rules pay once. The
 * pass reads the nodes from ESLint's own walk of the file where ESLint keeps it (9 and later).
 */
import { AST_NODE_TYPES, ASTUtils, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { calleeText, contains, enclosingClass, enclosingFunction, isFunction, outermost, propertyName, unwrap, type FunctionNode } from './ast.js';
import { MapResolver, type MapBinding } from './maps.js';

/**
 * read: its result is a value of the map (`get`, `has`, `size`, `obj[k]`); write: changes it
 * (`set`, `add`, `delete`, `clear`, `obj[k] = …`); update: both in one expression (`obj[k] += …`,
 * `obj[k]++`); iterate: a loop over the live map; copy: a snapshot (`[...m]`, `Array.from(m)`).
 */
export type AccessKind = 'read' | 'write' | 'update' | 'iterate' | 'copy';

export interface Access {
  /** The whole access expression: the call, the member read, the assignment. */
  node: TSESTree.Node;
  /** The reference to the map: an identifier or `this.field`. */
  ref: TSESTree.Node;
  kind: AccessKind;
  /** The method or `[]` for a record. */
  method: string;
  /** The key expression, when the access names one. */
  key: TSESTree.Node | null;
  map: MapBinding;
  identity: object | string;
  owner: FunctionNode | null;
  /**
   * The accessor the access goes through, when node is a call of one (`this.getChildren(id)` for
   * `getChildren(k) { return this.children.get(k) }`); ref is then the map's name in the accessor.
   */
  via?: FunctionNode;
}

/** The value a write stores: `v` of `m.set(k, v)` or `r[k] = v`; null for other writes. */
export function writtenValue(write: Access): TSESTree.Node | null {
  const node = write.node;
  if (node.type === AST_NODE_TYPES.CallExpression) return node.arguments[1] ?? null;
  if (node.type === AST_NODE_TYPES.AssignmentExpression) return node.right;
  return null;
}

export interface Suspension {
  node: TSESTree.Node;
  owner: FunctionNode | null;
}

export interface Call {
  node: TSESTree.CallExpression | TSESTree.NewExpression;
  owner: FunctionNode | null;
}

/** The reads of a Map or Set, and `peek` of an LRU cache (a read that leaves the recency alone). */
const readMethods = new Set(['get', 'has', 'peek']);
/** The Map/Set methods that write. */
export const writeMethods = new Set(['set', 'add', 'delete', 'clear']);
const iterateMethods = new Set(['keys', 'values', 'entries']);

/** What a member call is made on: an object literal or the one instance of a class of this file. */
export type Receiver =
  | { kind: 'object'; value: TSESTree.ObjectExpression; declaration: TSESTree.VariableDeclarator }
  | { kind: 'instance'; value: TSESTree.ClassDeclaration | TSESTree.ClassExpression; declaration: TSESTree.VariableDeclarator };

/** ESLint 9+'s SourceCode: `traverse()` returns (and caches) the steps of its one walk of the AST. */
interface TraversingSourceCode {
  traverse(): readonly { kind: number; phase?: number; target: unknown }[];
}
/** A step that visits a node (the other kind calls a code-path event), and its phase on entering it. */
const visitStep = 1;
const enterPhase = 1;

/** A reference used as the model knows a map is used, before the map it names is resolved. */
interface Candidate {
  shape: Pick<Access, 'node' | 'kind' | 'method' | 'key'>;
  ref: TSESTree.Node;
  identity: object | string;
}

export class FileModel {
  /**
   * The accesses of maps in source order, but for copies (`[...x]`, `{ ...x }`, `Object.keys(x)`)
   * of a value the file uses in no other way a map is used: whether such a value is a map is only
   * asked when allAccesses() is (with type information that can mean inferring an untyped
   * callback's parameter from its call), and a copy alone decides no section, race or fix.
   */
  readonly accesses: Access[];
  readonly suspensions: Suspension[] = [];
  readonly calls: Call[] = [];
  readonly loops: TSESTree.ForOfStatement[] = [];
  readonly assignments: TSESTree.AssignmentExpression[] = [];
  readonly resolver: MapResolver;

  /** The references the walk found, in source order, until they are resolved. */
  private readonly candidates: Candidate[] = [];
  /** The accesses of the walk in source order, each copy left unresolved in its place as its candidate. */
  private readonly visited: (Access | Candidate)[] = [];
  private accessorCalls: Access[] = [];
  private everyAccess: Access[] | null = null;

  constructor(readonly sourceCode: TSESLint.SourceCode, safeTypes: ReadonlySet<string>) {
    this.resolver = new MapResolver(sourceCode, safeTypes);
    this.collect(sourceCode.ast);
    this.resolveCandidates();
    const accesses = this.visited.filter(isAccess);
    this.accessorCalls = this.collectAccessorCalls(accesses);
    this.accesses = inSourceOrder(accesses, this.accessorCalls);
    if (accesses.length === this.visited.length) this.everyAccess = this.accesses;
  }

  /** Every access, copies of values the file uses in no other way included (see accesses). */
  allAccesses(): Access[] {
    if (!this.everyAccess) {
      const accesses: Access[] = [];
      for (const entry of this.visited) {
        const access = isAccess(entry) ? entry : this.accessOf(entry);
        if (access) accesses.push(access);
      }
      this.everyAccess = inSourceOrder(accesses, this.accessorCalls);
    }
    return this.everyAccess;
  }

  /**
   * Resolves the references in source order (a map's kind is judged at the first reference to it,
   * as it always was); a copy of a value with no other use is left for allAccesses(), the
   * reference it is to be judged at noted.
   */
  private resolveCandidates(): void {
    const usedOtherwise = new Set<object | string>();
    for (const { shape, identity } of this.candidates) if (shape.kind !== 'copy') usedOtherwise.add(identity);
    for (const candidate of this.candidates) {
      if (candidate.shape.kind === 'copy' && !usedOtherwise.has(candidate.identity)) {
        this.resolver.resolveLater(candidate.ref, candidate.identity);
        this.visited.push(candidate);
        continue;
      }
      const access = this.accessOf(candidate);
      if (access) this.visited.push(access);
    }
    this.candidates.length = 0;
  }

  /** The access a reference makes, if it refers to a map and the use is one the model knows for its kind. */
  private accessOf({ shape, ref, identity }: Candidate): Access | null {
    const map = this.resolver.resolve(ref);
    if (!map || map.guarded) return null;
    const recordUse = shape.method === '[]' || shape.method === 'for-in' || (shape.method === 'delete' && shape.node.type === AST_NODE_TYPES.UnaryExpression);
    if ((map.kind === 'record') !== recordUse && shape.kind !== 'copy' && !(map.kind === 'record' && shape.kind === 'iterate')) return null;
    return { ...shape, ref, map, identity, owner: enclosingFunction(ref) };
  }

  private collect(root: TSESTree.Node): void {
    // ESLint 9+ walks the file once into steps that it keeps and runs the rules from: the nodes
    // entered, in source (pre-)order. Reading them costs a pass over an array, not a second walk.
    const steps = root === this.sourceCode.ast ? (this.sourceCode as Partial<TraversingSourceCode>).traverse?.() : undefined;
    if (steps) {
      for (const step of steps) if (step.kind === visitStep && step.phase === enterPhase) this.visit(step.target as TSESTree.Node);
      return;
    }
    const keys = this.sourceCode.visitorKeys;
    const stack: TSESTree.Node[] = [root];
    const visited: TSESTree.Node[] = [];
    while (stack.length > 0) {
      const node = stack.pop()!;
      visited.push(node);
      const children: TSESTree.Node[] = [];
      for (const key of keys[node.type] ?? []) {
        const child = (node as unknown as Record<string, unknown>)[key];
        if (Array.isArray(child)) {
          for (const item of child) if (item && typeof item === 'object' && 'type' in item) children.push(item as TSESTree.Node);
        } else if (child && typeof child === 'object' && 'type' in child) children.push(child as TSESTree.Node);
      }
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    }
    // visited is in source (pre-)order
    for (const node of visited) this.visit(node);
  }

  private visit(node: TSESTree.Node): void {
    switch (node.type) {
      case AST_NODE_TYPES.AwaitExpression:
      case AST_NODE_TYPES.YieldExpression:
        this.suspensions.push({ node, owner: enclosingFunction(node) });
        return;
      case AST_NODE_TYPES.ForOfStatement:
        this.loops.push(node);
        if (node.await) this.suspensions.push({ node: node.right, owner: enclosingFunction(node) });
        return;
      case AST_NODE_TYPES.VariableDeclaration:
        if (node.kind === 'await using') this.suspensions.push({ node, owner: enclosingFunction(node) });
        return;
      case AST_NODE_TYPES.CallExpression:
      case AST_NODE_TYPES.NewExpression:
        this.calls.push({ node, owner: enclosingFunction(node) });
        return;
      case AST_NODE_TYPES.AssignmentExpression:
        this.assignments.push(node);
        return;
      case AST_NODE_TYPES.Identifier:
        this.visitReference(node, node);
        return;
      case AST_NODE_TYPES.MemberExpression:
        // `this.field`, `this.#field`, and a static field through its class: `Registry.entries`
        if (node.object.type === AST_NODE_TYPES.ThisExpression || (node.object.type === AST_NODE_TYPES.Identifier && !node.computed)) {
          this.visitReference(node, node);
        }
        return;
      default:
    }
  }

  /**
   * Calls of the file's accessors count as the access they wrap, keyed by the call's argument: a
   * function or method whose body is only a read or write of a map with its parameter as the key
   * (`getChildren(k) { return this.children.get(k) }`, `setChildren(k, v) { this.children.set(k,
   * v) }`, `hasX`, `deleteX`) — `this.getChildren(id)` reads `this.children` at `id`.
   */
  private collectAccessorCalls(accesses: readonly Access[]): Access[] {
    const wrapped = new Map<FunctionNode, { access: Access; index: number } | null>();
    // the names accessors are called by, so that only calls of such a name are resolved
    const names = new Set<string>();
    const byNode = new Map(accesses.map((access) => [access.node, access]));
    for (const access of accesses) {
      if (!access.owner || wrapped.has(access.owner)) continue;
      const inner = this.wrappedAccess(access.owner, byNode);
      wrapped.set(access.owner, inner);
      const name = inner ? nameOf(access.owner) : null;
      if (name !== null) names.add(name);
    }
    if (names.size === 0) return [];
    const found: Access[] = [];
    for (const { node, owner } of this.calls) {
      if (node.type !== AST_NODE_TYPES.CallExpression || !names.has(calleeText(node.callee)?.split('.').pop() ?? '')) continue;
      const callees = this.calleesOf(node);
      if (callees.length !== 1) continue;
      const inner = wrapped.get(callees[0]!);
      const key = inner ? node.arguments[inner.index] : undefined;
      if (!inner || !key || key.type === AST_NODE_TYPES.SpreadElement) continue;
      found.push({ ...inner.access, node, key, owner, via: callees[0]! });
    }
    return found;
  }

  /** The read or write an accessor's body is, with the index of the parameter it takes as the key; null for other functions. */
  private wrappedAccess(fn: FunctionNode, byNode: ReadonlyMap<TSESTree.Node, Access>): { access: Access; index: number } | null {
    let expression: TSESTree.Node | null = null;
    if (fn.body.type !== AST_NODE_TYPES.BlockStatement) expression = fn.body;
    else if (fn.body.body.length === 1) {
      const only = fn.body.body[0]!;
      if (only.type === AST_NODE_TYPES.ReturnStatement) expression = only.argument;
      else if (only.type === AST_NODE_TYPES.ExpressionStatement) expression = only.expression;
    }
    if (!expression) return null;
    let inner = unwrap(expression);
    // `return this.children.get(k) ?? []`: still the read
    if (inner.type === AST_NODE_TYPES.LogicalExpression && (inner.operator === '??' || inner.operator === '||')) inner = unwrap(inner.left);
    const access = byNode.get(inner);
    if (!access || access.owner !== fn || (access.kind !== 'read' && access.kind !== 'write') || !access.key) return null;
    // `read(m, k) { return m.get(k) }` reads whatever map it is handed: no one map to stand for
    if (access.map.declaredIn === fn) return null;
    const key = unwrap(access.key);
    if (key.type !== AST_NODE_TYPES.Identifier) return null;
    const index = fn.params.findIndex((parameter) => parameter.type === AST_NODE_TYPES.Identifier && parameter.name === key.name);
    return index < 0 ? null : { access, index };
  }

  /** Notes ref as a candidate access if the use is one the model knows and ref names a variable or field. */
  private visitReference(ref: TSESTree.Node, node: TSESTree.Node): void {
    const outer = outermost(node);
    const parent = outer.parent;
    if (!parent) return;
    // skip identifiers that are not references: property keys, declarations' own names
    if (node.type === AST_NODE_TYPES.Identifier) {
      if (parent.type === AST_NODE_TYPES.MemberExpression && parent.property === outer && !parent.computed) return;
      if (parent.type === AST_NODE_TYPES.Property && parent.key === outer && !parent.computed && !parent.shorthand) return;
    }
    const shape = accessShape(outer);
    if (!shape) return;
    // a name no variable or field stands for (a global) groups no accesses: no need to ask what it is
    const identity = this.resolver.identity(ref);
    if (identity === null) return;
    this.candidates.push({ shape, ref, identity });
  }

  /**
   * The functions of this file a call runs: `f()`, `this.m()` (same class), `Registry.m()` (a
   * static method), `service.m()` on an object literal of this file, and `counter.m()` on the one
   * instance (`const counter = new Counter()`) of a class of this file. Other member calls are
   * not followed. Found once per call: every task that reaches the call asks again.
   */
  calleesOf(call: TSESTree.CallExpression | TSESTree.NewExpression): readonly FunctionNode[] {
    let callees = this.callees.get(call);
    if (!callees) this.callees.set(call, (callees = this.findCallees(call)));
    return callees;
  }

  private readonly callees = new Map<TSESTree.CallExpression | TSESTree.NewExpression, readonly FunctionNode[]>();

  private findCallees(call: TSESTree.CallExpression | TSESTree.NewExpression): FunctionNode[] {
    const callee = unwrap(call.callee);
    if (callee.type === AST_NODE_TYPES.Identifier) {
      const variable = ASTUtils.findVariable(this.sourceCode.getScope(callee), callee);
      const definition = variable?.defs[0];
      if (definition?.node.type === AST_NODE_TYPES.FunctionDeclaration) return [definition.node];
      if (definition?.node.type === AST_NODE_TYPES.VariableDeclarator && definition.node.init) {
        const init = unwrap(definition.node.init);
        if (isFunction(init)) return [init];
      }
      return [];
    }
    if (callee.type === AST_NODE_TYPES.MemberExpression && callee.object.type === AST_NODE_TYPES.ThisExpression) {
      const name = propertyName(callee);
      const owner = enclosingClass(callee);
      if (!name || !owner) return [];
      return methodsNamed(owner, name);
    }
    if (callee.type === AST_NODE_TYPES.MemberExpression) {
      const name = propertyName(callee);
      const object = unwrap(callee.object);
      if (name && object.type === AST_NODE_TYPES.Identifier) {
        // `Registry.bump()`: a static method of a class of this file
        const definition = ASTUtils.findVariable(this.sourceCode.getScope(object), object)?.defs[0];
        if (definition?.type === 'ClassName') {
          return methodsNamed(definition.node as TSESTree.ClassDeclaration, name).filter((fn) => (fn.parent as TSESTree.MethodDefinition).static);
        }
      }
      const receiver = this.receiverOf(call);
      if (!receiver || !name) return [];
      return receiver.kind === 'object' ? propertiesNamed(receiver.value, name) : methodsNamed(receiver.value, name, true);
    }
    return [];
  }

  /**
   * The object a member call is made on, when this file defines it: a `const` initialised with an
   * object literal, or with `new C()` of a class of this file that the file instantiates only
   * there (so every call through it reaches the same instance). `declaration` is where the
   * variable is declared: a caller decides whether the instance outlives the task.
   */
  receiverOf(call: TSESTree.CallExpression | TSESTree.NewExpression): Receiver | null {
    const callee = unwrap(call.callee);
    if (callee.type !== AST_NODE_TYPES.MemberExpression) return null;
    const object = unwrap(callee.object);
    if (object.type !== AST_NODE_TYPES.Identifier) return null;
    const variable = ASTUtils.findVariable(this.sourceCode.getScope(object), object);
    const definition = variable?.defs[0];
    if (!variable || variable.defs.length !== 1 || definition?.node.type !== AST_NODE_TYPES.VariableDeclarator || !definition.node.init) return null;
    if (definition.node.id.type !== AST_NODE_TYPES.Identifier) return null;
    if (variable.references.some((reference) => reference.isWrite() && !reference.init)) return null;
    const init = unwrap(definition.node.init);
    if (init.type === AST_NODE_TYPES.ObjectExpression) return { kind: 'object', value: init, declaration: definition.node };
    if (init.type !== AST_NODE_TYPES.NewExpression || init.callee.type !== AST_NODE_TYPES.Identifier) return null;
    const classVariable = ASTUtils.findVariable(this.sourceCode.getScope(init.callee), init.callee);
    const classDefinition = classVariable?.defs[0];
    let cls: TSESTree.ClassDeclaration | TSESTree.ClassExpression | null = null;
    if (classDefinition?.node.type === AST_NODE_TYPES.ClassDeclaration) cls = classDefinition.node;
    else if (classDefinition?.node.type === AST_NODE_TYPES.VariableDeclarator && classDefinition.node.init?.type === AST_NODE_TYPES.ClassExpression) {
      cls = classDefinition.node.init;
    }
    if (!cls || this.instantiations(classVariable!) !== 1) return null;
    return { kind: 'instance', value: cls, declaration: definition.node };
  }

  private instantiationCounts: Map<TSESLint.Scope.Variable, number> | null = null;

  /** How many `new C(…)` of the class variable the file holds (counted once per file). */
  private instantiations(classVariable: TSESLint.Scope.Variable): number {
    if (!this.instantiationCounts) {
      this.instantiationCounts = new Map();
      for (const { node } of this.calls) {
        if (node.type !== AST_NODE_TYPES.NewExpression || node.callee.type !== AST_NODE_TYPES.Identifier) continue;
        const variable = ASTUtils.findVariable(this.sourceCode.getScope(node.callee), node.callee);
        if (variable) this.instantiationCounts.set(variable, (this.instantiationCounts.get(variable) ?? 0) + 1);
      }
      // `class C {}` with `extends C` or `C` handed around would also make instances: counted as many
      for (const [variable] of this.instantiationCounts) {
        const escapes = variable.references.some((reference) => {
          const parent = reference.identifier.parent;
          return !(parent?.type === AST_NODE_TYPES.NewExpression && parent.callee === reference.identifier);
        });
        if (escapes) this.instantiationCounts.set(variable, Infinity);
      }
    }
    return this.instantiationCounts.get(classVariable) ?? 0;
  }

  /**
   * The function literals a call is handed as arguments (`withRetry(async () => …)`,
   * `db.transaction(async (tx) => …)`): whether they run during the caller's task depends on the
   * call, which the caller judges.
   */
  callbacksOf(call: TSESTree.CallExpression | TSESTree.NewExpression): FunctionNode[] {
    const found: FunctionNode[] = [];
    for (const argument of call.arguments) {
      const value = unwrap(argument);
      if (isFunction(value)) found.push(value);
    }
    return found;
  }

  /** A function value: an inline function, or a name / `this.m` that this file defines. */
  functionsOf(node: TSESTree.Node): FunctionNode[] {
    const value = unwrap(node);
    if (isFunction(value)) return [value];
    if (value.type === AST_NODE_TYPES.Identifier) {
      const variable = ASTUtils.findVariable(this.sourceCode.getScope(value), value);
      const definition = variable?.defs[0];
      if (definition?.node.type === AST_NODE_TYPES.FunctionDeclaration) return [definition.node];
      if (definition?.node.type === AST_NODE_TYPES.VariableDeclarator && definition.node.init && isFunction(unwrap(definition.node.init))) {
        return [unwrap(definition.node.init) as FunctionNode];
      }
      return [];
    }
    if (value.type === AST_NODE_TYPES.MemberExpression && value.object.type === AST_NODE_TYPES.ThisExpression) {
      const name = propertyName(value);
      const owner = enclosingClass(value);
      return name && owner ? methodsNamed(owner, name) : [];
    }
    if (value.type === AST_NODE_TYPES.CallExpression) {
      // `fn.bind(this)`
      const callee = unwrap(value.callee);
      if (callee.type === AST_NODE_TYPES.MemberExpression && propertyName(callee) === 'bind') return this.functionsOf(callee.object);
    }
    return [];
  }

  private readonly byOwner = new WeakMap<readonly unknown[], Map<FunctionNode | null, unknown[]>>();

  /** The events of a task root: a function's own body, or a statement (a loop body) within one. */
  within<T extends { owner: FunctionNode | null; node: TSESTree.Node }>(events: readonly T[], root: TSESTree.Node): T[] {
    const owner = isFunction(root) ? root : enclosingFunction(root);
    // events grouped by owner once per list, so a root costs its own events, not the file's
    let index = this.byOwner.get(events) as Map<FunctionNode | null, T[]> | undefined;
    if (!index) {
      index = new Map();
      for (const event of events) {
        const list = index.get(event.owner);
        if (list) list.push(event);
        else index.set(event.owner, [event]);
      }
      this.byOwner.set(events, index as Map<FunctionNode | null, unknown[]>);
    }
    const own = index.get(owner) ?? [];
    return isFunction(root) ? own : own.filter((event) => contains(root, event.node));
  }

  private writesByIdentity: Map<object | string, Access[]> | null = null;

  /** Every write to a map, with the function it is in. */
  writesOf(identity: object | string): Access[] {
    if (!this.writesByIdentity) {
      this.writesByIdentity = new Map();
      for (const access of this.accesses) {
        if (access.kind !== 'write' && access.kind !== 'update') continue;
        const list = this.writesByIdentity.get(access.identity);
        if (list) list.push(access);
        else this.writesByIdentity.set(access.identity, [access]);
      }
    }
    return this.writesByIdentity.get(identity) ?? [];
  }

  calleeName(call: TSESTree.CallExpression | TSESTree.NewExpression): string | null {
    return calleeText(call.callee);
  }
}

function isAccess(entry: Access | Candidate): entry is Access {
  return !('shape' in entry);
}

/** The walk's accesses and the accessor calls in source order, as the sections expect: an accessor's call stands where the call is. */
function inSourceOrder(accesses: readonly Access[], accessorCalls: readonly Access[]): Access[] {
  if (accessorCalls.length === 0) return [...accesses];
  const position = (access: Access) => (access.via ? access.node.range[0] : access.ref.range[0]);
  return [...accesses, ...accessorCalls].sort((a, b) => position(a) - position(b));
}

/** The name a function is called by: its own, its variable's, or its method's or property's key. */
function nameOf(fn: FunctionNode): string | null {
  if (fn.type !== AST_NODE_TYPES.ArrowFunctionExpression && fn.id) return fn.id.name;
  const parent = fn.parent;
  if (parent?.type === AST_NODE_TYPES.VariableDeclarator && parent.id.type === AST_NODE_TYPES.Identifier) return parent.id.name;
  if ((parent?.type === AST_NODE_TYPES.MethodDefinition || parent?.type === AST_NODE_TYPES.PropertyDefinition || parent?.type === AST_NODE_TYPES.Property) && !parent.computed) {
    return parent.key.type === AST_NODE_TYPES.Identifier ? parent.key.name : null;
  }
  return null;
}

function methodsNamed(owner: TSESTree.ClassDeclaration | TSESTree.ClassExpression, name: string, instanceOnly = false): FunctionNode[] {
  const found: FunctionNode[] = [];
  for (const member of owner.body.body) {
    if (
      (member.type === AST_NODE_TYPES.MethodDefinition || member.type === AST_NODE_TYPES.PropertyDefinition) &&
      !(instanceOnly && member.static) &&
      !member.computed &&
      member.key.type === AST_NODE_TYPES.Identifier &&
      member.key.name === name &&
      member.value &&
      isFunction(member.value)
    ) {
      found.push(member.value);
    }
  }
  return found;
}

function propertiesNamed(object: TSESTree.ObjectExpression, name: string): FunctionNode[] {
  const found: FunctionNode[] = [];
  for (const property of object.properties) {
    if (property.type !== AST_NODE_TYPES.Property || property.computed || property.key.type !== AST_NODE_TYPES.Identifier || property.key.name !== name) continue;
    const value = unwrap(property.value);
    if (isFunction(value)) found.push(value);
  }
  return found;
}

/** What a use of a map reference does, or null when it is not an access the model tracks. */
function accessShape(outer: TSESTree.Node): Pick<Access, 'node' | 'kind' | 'method' | 'key'> | null {
  const parent = outer.parent!;
  if (parent.type === AST_NODE_TYPES.ForOfStatement && parent.right === outer) {
    return { node: parent, kind: 'iterate', method: 'for-of', key: null };
  }
  if (parent.type === AST_NODE_TYPES.ForInStatement && parent.right === outer) return { node: parent, kind: 'iterate', method: 'for-in', key: null };
  if (parent.type === AST_NODE_TYPES.SpreadElement) return { node: outer, kind: 'copy', method: '...', key: null };
  if (parent.type === AST_NODE_TYPES.BinaryExpression && parent.operator === 'in' && parent.right === outer) {
    return { node: parent, kind: 'read', method: '[]', key: parent.left };
  }
  if (
    (parent.type === AST_NODE_TYPES.CallExpression || parent.type === AST_NODE_TYPES.NewExpression) &&
    parent.arguments[0] === outer &&
    /^(?:Array\.from|Map|Set|Object\.(?:keys|values|entries|assign|fromEntries)|structuredClone)$/u.test(calleeText(parent.callee) ?? '')
  ) {
    return { node: parent, kind: 'copy', method: 'copy', key: null };
  }
  if (parent.type !== AST_NODE_TYPES.MemberExpression || parent.object !== outer) return null;
  if (parent.computed) {
    const member = outermost(parent);
    const use = member.parent!;
    if (use.type === AST_NODE_TYPES.AssignmentExpression && use.left === member) {
      return { node: use, kind: use.operator === '=' ? 'write' : 'update', method: '[]', key: parent.property };
    }
    if (use.type === AST_NODE_TYPES.UpdateExpression) return { node: use, kind: 'update', method: '[]', key: parent.property };
    if (use.type === AST_NODE_TYPES.UnaryExpression && use.operator === 'delete') {
      return { node: use, kind: 'write', method: 'delete', key: parent.property };
    }
    if (use.type === AST_NODE_TYPES.CallExpression && use.callee === member) return null; // obj[k]() : not a record use
    return { node: member, kind: 'read', method: '[]', key: parent.property };
  }
  const name = propertyName(parent);
  if (name === null) return null;
  if (name === 'size') return { node: parent, kind: 'read', method: 'size', key: null };
  const call = outermost(parent).parent;
  if (call?.type !== AST_NODE_TYPES.CallExpression || unwrap(call.callee) !== parent) return null;
  const key = call.arguments[0] ?? null;
  if (readMethods.has(name)) return { node: call, kind: 'read', method: name, key };
  if (writeMethods.has(name)) return { node: call, kind: 'write', method: name, key: name === 'clear' ? null : key };
  if (name === 'forEach') return { node: call, kind: 'iterate', method: name, key: null };
  if (iterateMethods.has(name)) {
    const use = outermost(call).parent;
    if (use?.type === AST_NODE_TYPES.ForOfStatement && use.right === outermost(call)) return { node: use, kind: 'iterate', method: name, key: null };
    return { node: call, kind: 'copy', method: name, key: null };
  }
  return null;
}
