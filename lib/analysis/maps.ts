/**
 * What is a map: Map, Set, WeakMap, WeakSet, GoMap, SafeMap, ShardedMap, and plain objects used as
 * records. With type information a reference is recognised through aliases, subclasses,
 * parameters, class fields and imports; without it, from what the declaration shows: a
 * `new Map()` initialiser (of a variable, a field — `#private` and `static` ones too — or a
 * `this.field = new Map()` in the constructor), a parameter's default (`cache = new Map()`, a
 * parameter property, `this.cache = options.cache ?? new Map()`), a `Map<…>` / `Record<…>` /
 * index-signature annotation, or `{}` that the file writes with computed keys. Caches of other
 * types (Map-like interfaces, LRUs, async stores) are recognised in map-shapes.ts.
 */
import { AST_NODE_TYPES, ASTUtils, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import type * as ts from 'typescript';
import { calleeText, enclosingClass, enclosingFunction, isFunction, outermost, unwrap, walkAll, type ClassNode, type FunctionNode } from './ast.js';
import { awaitedStores, lruKindOf, namedLikeStore, shapeOfAnnotation, shapeOfType, type ShapeKind } from './map-shapes.js';

export type MapKind = 'Map' | 'Set' | 'WeakMap' | 'WeakSet' | 'GoMap' | 'SafeMap' | 'ShardedMap' | 'record' | ShapeKind;

const constructorKinds: Record<string, MapKind> = {
  Map: 'Map',
  Set: 'Set',
  WeakMap: 'WeakMap',
  WeakSet: 'WeakSet',
  GoMap: 'GoMap',
  SafeMap: 'SafeMap',
  ShardedMap: 'ShardedMap',
};

/**
 * The kinds a type's name gives (in an annotation, or with type information): the constructors,
 * the LRU classes, and the read-only views — a `ReadonlyMap` is read through this name and
 * written, if at all, through another, so it takes part in a race only where the file also writes
 * the same name (a ReadonlyMap the file never writes is never reported).
 */
const typeKinds: Record<string, MapKind> = { ...constructorKinds, ReadonlyMap: 'Map', ReadonlySet: 'Set', LRUCache: 'LRUCache', QuickLRU: 'QuickLRU' };

/** One map the file refers to: a variable, or a class field reached through `this` (or its class, when static). */
export interface MapBinding {
  /** How the source names it: `users`, `this.cache`, `this.#cache`, `Registry.entries`. */
  name: string;
  kind: MapKind;
  /** Where it lives: module state, a class field, or a function's local. */
  scope: 'module' | 'class' | 'function';
  /** The function whose local it is (scope 'function'). */
  declaredIn: FunctionNode | null;
  /** The `new Map(…)` it is built with, when this file shows it. */
  construction: TSESTree.NewExpression | null;
  /** The declaration's type annotation, when written. */
  annotation: TSESTree.TypeNode | null;
  /** True when another module may hold it: exported, a parameter, or imported. */
  foreign: boolean;
  /** True for types the user declared guarded (`safeTypes`). */
  guarded: boolean;
}

/** A place the file names a map, and whether it assigns the binding itself (`m = …`, `this.m = …`). */
export interface MapReference {
  node: TSESTree.Node;
  assigns: boolean;
}

/** A class field as a member expression names it: `this.cache`, `this.#cache`, `Registry.entries`. */
interface FieldName {
  owner: ClassNode;
  /** The key as written: `cache`, `#cache`. */
  name: string;
  isStatic: boolean;
}

interface TypeServices {
  checker: ts.TypeChecker;
  toTsNode: (node: TSESTree.Node) => ts.Node;
  /** The types the checker gave, by node: see typesByChecker. */
  types: WeakMap<ts.Node, ts.Type>;
}

/** Finds the maps a file's references name; one per file, caching what it resolved. */
export class MapResolver {
  private readonly byVariable = new Map<TSESLint.Scope.Variable, MapBinding | null>();
  private readonly byField = new Map<string, MapBinding | null>();
  private readonly referencesByMap = new Map<object | string, MapReference[]>();
  /** Where a map left unresolved by the walk is to be judged: see resolveLater. */
  private readonly judgedAt = new Map<object | string, TSESTree.Node>();
  private readonly types: TypeServices | null;
  /** The receivers the file awaits `get`/`has` and `set` on, found on the first need. */
  private stores: Set<string> | null = null;

  /** The safeTypes as one string: resolvers with equal keys give a type the same kind. */
  private readonly safeTypesKey: string;

  constructor(
    private readonly sourceCode: TSESLint.SourceCode,
    private readonly safeTypes: ReadonlySet<string>,
  ) {
    this.safeTypesKey = [...safeTypes].sort().join('\u0000');
    const services = sourceCode.parserServices;
    const checker = services?.program && services.esTreeNodeToTSNodeMap ? services.program.getTypeChecker() : null;
    let types = checker ? typesByChecker.get(checker) : undefined;
    if (checker && !types) typesByChecker.set(checker, (types = new WeakMap()));
    this.types = checker && types ? { checker, toTsNode: (node) => services!.esTreeNodeToTSNodeMap!.get(node as never), types } : null;
  }

  get typeAware(): boolean {
    return this.types !== null;
  }

  /** The map an expression refers to (an identifier, `this.field`, `Class.staticField`), or null. */
  resolve(node: TSESTree.Node): MapBinding | null {
    if (node.type === AST_NODE_TYPES.Identifier) {
      const variable = ASTUtils.findVariable(this.sourceCode.getScope(node), node);
      if (!variable) return this.typedOnly(node, node.name);
      if (!this.byVariable.has(variable)) this.byVariable.set(variable, this.fromVariable(variable, (this.judgedAt.get(variable) as TSESTree.Identifier | undefined) ?? node));
      return this.byVariable.get(variable)!;
    }
    const field = this.fieldName(node);
    if (!field) return null;
    const key = fieldKey(field);
    if (!this.byField.has(key)) this.byField.set(key, this.fromField(field, (this.judgedAt.get(key) as TSESTree.MemberExpression | undefined) ?? (node as TSESTree.MemberExpression)));
    return this.byField.get(key)!;
  }

  /**
   * Notes ref (whose identity is given) as the reference the map it names is to be judged at
   * whenever it is first resolved, unless something resolved it already: a map's kind (its type,
   * with type information) is judged at the first reference resolved, so a reference resolved
   * later than the walk meets it stands in for it.
   */
  resolveLater(ref: TSESTree.Node, identity: object | string): void {
    const resolved = typeof identity === 'string' ? this.byField.has(identity) : this.byVariable.has(identity as TSESLint.Scope.Variable);
    if (!resolved && !this.judgedAt.has(identity)) this.judgedAt.set(identity, ref);
  }

  /** The identity under which accesses of one map are grouped. */
  identity(node: TSESTree.Node): object | string | null {
    if (node.type === AST_NODE_TYPES.Identifier) {
      return ASTUtils.findVariable(this.sourceCode.getScope(node), node) ?? null;
    }
    const field = this.fieldName(node);
    return field ? fieldKey(field) : null;
  }

  /** Every place the file names the map that ref names (its declaration left out). */
  referencesOf(ref: TSESTree.Node): MapReference[] {
    const identity = this.identity(ref);
    if (identity === null) return [];
    if (!this.referencesByMap.has(identity)) this.referencesByMap.set(identity, this.findReferences(ref, identity));
    return this.referencesByMap.get(identity)!;
  }

  private findReferences(ref: TSESTree.Node, identity: object | string): MapReference[] {
    if (ref.type === AST_NODE_TYPES.Identifier) {
      const variable = ASTUtils.findVariable(this.sourceCode.getScope(ref), ref);
      const declared = variable?.defs[0]?.name;
      return (variable?.references ?? [])
        .filter((reference) => reference.identifier !== declared)
        .map((reference) => ({ node: reference.identifier, assigns: reference.isWrite() }));
    }
    const found: MapReference[] = [];
    walkAll(this.sourceCode.ast, this.sourceCode.visitorKeys, (node) => {
      if (node.type !== AST_NODE_TYPES.MemberExpression || this.identity(node) !== identity) return;
      const outer = outermost(node);
      const parent = outer.parent;
      const assigns =
        (parent?.type === AST_NODE_TYPES.AssignmentExpression && parent.left === outer) || parent?.type === AST_NODE_TYPES.UpdateExpression;
      found.push({ node, assigns });
    });
    return found;
  }

  /** The field a member expression names: `this.x` / `this.#x` in a class, `C.x` for a class C. */
  private fieldName(node: TSESTree.Node): FieldName | null {
    if (node.type !== AST_NODE_TYPES.MemberExpression || node.computed) return null;
    const name = keyName(node.property);
    if (name === null) return null;
    if (node.object.type === AST_NODE_TYPES.ThisExpression) {
      const owner = enclosingClass(node);
      return owner ? { owner, name, isStatic: inStaticMember(node, owner) } : null;
    }
    if (node.object.type === AST_NODE_TYPES.Identifier) {
      const definition = ASTUtils.findVariable(this.sourceCode.getScope(node.object), node.object)?.defs[0];
      if (definition?.type !== 'ClassName') return null;
      const owner = definition.node as ClassNode;
      // only a static field the class declares: `C.name`, `C.prototype` and the like are no maps
      const declared = owner.body.body.some((member) => member.type === AST_NODE_TYPES.PropertyDefinition && member.static && !member.computed && keyName(member.key) === name);
      return declared ? { owner, name, isStatic: true } : null;
    }
    return null;
  }

  private fromVariable(variable: TSESLint.Scope.Variable, reference: TSESTree.Identifier): MapBinding | null {
    const definition = variable.defs[0];
    if (!definition) return this.typedOnly(reference, variable.name);
    const declaredIn = enclosingFunction(definition.name);
    const base = {
      name: variable.name,
      scope: declaredIn ? ('function' as const) : ('module' as const),
      declaredIn,
    };
    let construction: TSESTree.NewExpression | null = null;
    let annotation: TSESTree.TypeNode | null = null;
    let kind: MapKind | null = null;
    let foreign = false;
    if (definition.type === 'Variable' && definition.node.type === AST_NODE_TYPES.VariableDeclarator) {
      const declarator = definition.node;
      annotation = declarator.id.typeAnnotation?.typeAnnotation ?? null;
      const init = declarator.init ? unwrap(declarator.init) : null;
      const built = this.built(init);
      if (built === 'guarded') return { ...base, kind: 'Map', construction: init as TSESTree.NewExpression, annotation, foreign, guarded: true };
      if (built) ({ kind, construction } = built);
      if (!kind && annotation) kind = this.kindOfAnnotation(annotation);
      if (!kind && init && isEmptyRecordLiteral(init) && variable.references.some((ref) => isComputedWrite(ref.identifier))) kind = 'record';
      foreign = isExported(declarator);
    } else if (definition.type === 'Parameter') {
      const parameter = definition.name as TSESTree.Identifier;
      annotation = parameter.typeAnnotation?.typeAnnotation ?? null;
      // `cache = new Map()`, `{ cache = new Map() } = {}`: what it is when the caller passes none
      const built = this.built(parameterDefault(parameter));
      if (built === 'guarded') return null;
      if (built) ({ kind, construction } = built);
      if (!kind && annotation) kind = this.kindOfAnnotation(annotation);
      foreign = true;
    } else if (definition.type === 'ImportBinding') {
      foreign = true;
    } else {
      return null;
    }
    if (annotation && this.isSafeAnnotation(annotation)) return null;
    if (!kind) kind = this.kindOfType(reference);
    if (!kind) kind = this.asyncStore(reference, variable.name);
    if (!kind) return null;
    if (kind === 'Map' && this.typedSafe(reference)) return null;
    return { ...base, kind, construction, annotation, foreign, guarded: false };
  }

  private fromField({ owner, name, isStatic }: FieldName, reference: TSESTree.MemberExpression): MapBinding | null {
    let construction: TSESTree.NewExpression | null = null;
    let annotation: TSESTree.TypeNode | null = null;
    let kind: MapKind | null = null;
    let foreign = false;
    const field = owner.body.body.find(
      (member): member is TSESTree.PropertyDefinition =>
        member.type === AST_NODE_TYPES.PropertyDefinition && !member.computed && member.static === isStatic && keyName(member.key) === name,
    );
    // `constructor(private readonly cache = new Map())`: a field the caller may hand in
    const parameter = field || isStatic ? null : parameterProperty(owner, name);
    annotation = (field ?? parameter)?.typeAnnotation?.typeAnnotation ?? null;
    if (annotation && this.isSafeAnnotation(annotation)) return null;
    // the initialiser, or else `this.name = new Map()` in the constructor (JavaScript's way to declare a field)
    let value = field?.value ? unwrap(field.value) : parameter ? parameterDefault(parameter) : isStatic ? null : constructorAssignment(owner, name);
    if (parameter) foreign = true;
    if (value?.type === AST_NODE_TYPES.LogicalExpression && (value.operator === '??' || value.operator === '||')) {
      // `this.cache = options.cache ?? new Map()`
      value = unwrap(value.right);
      foreign = true;
    }
    const built = this.built(value);
    if (built === 'guarded') return null;
    if (built) ({ kind, construction } = built);
    if (!kind && value?.type === AST_NODE_TYPES.Identifier && !field) {
      // `constructor(cache: Cache<User>) { this.cache = cache }`, `constructor({ cache = new Map() } = {})`
      // (another name holds the same map, so the fix cannot rebuild it from here: foreign)
      const given = this.resolve(value);
      if (given) ({ kind, construction, annotation, foreign } = { ...given, foreign: true });
    }
    if (!kind && annotation) kind = this.kindOfAnnotation(annotation);
    if (!kind) kind = this.kindOfType(reference);
    const shown = isStatic && owner.id ? `${owner.id.name}.${name}` : `this.${name}`;
    if (!kind) kind = this.asyncStore(reference, shown);
    if (!kind) return null;
    return { name: shown, kind, scope: 'class', declaredIn: null, construction, annotation, foreign, guarded: false };
  }

  /** A reference the scope manager cannot place (a global): typed answer only. */
  private typedOnly(reference: TSESTree.Identifier, name: string): MapBinding | null {
    const kind = this.kindOfType(reference);
    if (!kind) return null;
    return { name, kind, scope: 'module', declaredIn: null, construction: null, annotation: null, foreign: true, guarded: false };
  }

  private kindOfAnnotation(annotation: TSESTree.TypeNode): MapKind | null {
    if (annotation.type === AST_NODE_TYPES.TSTypeReference && annotation.typeName.type === AST_NODE_TYPES.Identifier) {
      const name = annotation.typeName.name;
      if (name === 'Record') return 'record';
      if (this.safeTypes.has(name)) return null;
      return typeKinds[name] ?? shapeOfAnnotation(this.sourceCode, annotation);
    }
    if (annotation.type === AST_NODE_TYPES.TSTypeLiteral) {
      return annotation.members.some((member) => member.type === AST_NODE_TYPES.TSIndexSignature) ? 'record' : shapeOfAnnotation(this.sourceCode, annotation);
    }
    return null;
  }

  /** What a value is built as: a map kind with its `new`, 'guarded' for a safe type, or null. */
  private built(value: TSESTree.Node | null): { kind: MapKind; construction: TSESTree.NewExpression } | 'guarded' | null {
    if (value?.type !== AST_NODE_TYPES.NewExpression || value.callee.type !== AST_NODE_TYPES.Identifier) return null;
    if (this.safeTypes.has(value.callee.name)) return 'guarded';
    const kind = constructorKinds[value.callee.name] ?? lruKindOf(this.sourceCode, value.callee);
    return kind ? { kind, construction: value } : null;
  }

  /**
   * An async store by the file's use when types do not say: named like a store or cache, and the
   * file awaits both a read (`get`/`has`) and a `set` on it.
   */
  private asyncStore(reference: TSESTree.Node, name: string): MapKind | null {
    if (!namedLikeStore(name) || this.typeKnown(reference)) return null;
    this.stores ??= awaitedStores(this.sourceCode);
    return this.stores.has(name) ? 'Async store' : null;
  }

  /** True when type information gives the expression a type of its own (not any or unknown). */
  private typeKnown(node: TSESTree.Node): boolean {
    if (!this.types) return false;
    const anyOrUnknown = 3; // ts.TypeFlags.Any | ts.TypeFlags.Unknown
    return (this.typeAt(node).getFlags() & anyOrUnknown) === 0;
  }

  private isSafeAnnotation(annotation: TSESTree.TypeNode): boolean {
    return (
      annotation.type === AST_NODE_TYPES.TSTypeReference &&
      annotation.typeName.type === AST_NODE_TYPES.Identifier &&
      this.safeTypes.has(annotation.typeName.name)
    );
  }

  /** With type information: the map kind of the expression's type, through aliases and subclasses. */
  private kindOfType(node: TSESTree.Node): MapKind | null {
    if (!this.types) return null;
    const type = this.typeAt(node);
    let bySafeTypes = kindsByType.get(type);
    if (!bySafeTypes) kindsByType.set(type, (bySafeTypes = new Map()));
    let kind = bySafeTypes.get(this.safeTypesKey);
    if (kind === undefined) bySafeTypes.set(this.safeTypesKey, (kind = this.kindOfTypeUncached(this.types.checker, type)));
    return kind;
  }

  private kindOfTypeUncached(checker: ts.TypeChecker, type: ts.Type): MapKind | null {
    const names = typeNames(checker, type);
    for (const name of names) {
      if (this.safeTypes.has(name)) return null;
      const kind = typeKinds[name];
      if (kind) return kind;
    }
    if (type.isUnion() || type.getCallSignatures().length > 0 || checker.isArrayType(type) || checker.isTupleType(type)) return null;
    const shape = shapeOfType(checker, type, names);
    if (shape) return shape;
    const flags = (type.getFlags() as number);
    const objectFlag = 524288; // ts.TypeFlags.Object
    if ((flags & objectFlag) !== 0 && (type.getStringIndexType() || type.getNumberIndexType()) && type.getProperties().length === 0) {
      return 'record';
    }
    return null;
  }

  private typedSafe(node: TSESTree.Node): boolean {
    if (!this.types || this.safeTypes.size === 0) return false;
    return typeNames(this.types.checker, this.typeAt(node)).some((name) => this.safeTypes.has(name));
  }

  /** The type of an expression, asked of the checker once per node while the program lives. */
  private typeAt(node: TSESTree.Node): ts.Type {
    const { checker, toTsNode, types } = this.types!;
    const tsNode = toTsNode(node);
    if (!tsNode) return checker.getTypeAtLocation(tsNode);
    let type = types.get(tsNode);
    if (!type) types.set(tsNode, (type = checker.getTypeAtLocation(tsNode)));
    return type;
  }
}

/**
 * The type of each node asked about, per checker. A warm lint run (an editor, a watch process, a
 * second run in one process) hands the rules the program and the TypeScript nodes of the files it
 * finds unchanged; the checker does not keep every type it works out (a parameter of an untyped
 * callback, `xs.map((x) => …)`, is inferred from the call again on every question), so the
 * answer is kept here for as long as that checker lives. A new program brings a new checker.
 */
const typesByChecker = new WeakMap<ts.TypeChecker, WeakMap<ts.Node, ts.Type>>();

/**
 * The map kind of each type asked about, by the safeTypes it was judged with: a type is an object
 * of one checker, and the same one (`Config`, `string[]`, `Map<string, User>`) comes back for
 * many references and files while the program lives (across lint runs in an editor or watch mode).
 */
const kindsByType = new WeakMap<ts.Type, Map<string, MapKind | null>>();

/** The names of a type, its alias, and its base classes, most derived first. */
function typeNames(checker: ts.TypeChecker, type: ts.Type): string[] {
  const names: string[] = [];
  const seen = new Set<ts.Type>();
  const visit = (current: ts.Type, depth: number): void => {
    if (seen.has(current) || depth > 5) return;
    seen.add(current);
    const symbol = current.getSymbol() ?? current.aliasSymbol;
    if (symbol) names.push(symbol.getName());
    if (current.aliasSymbol) names.push(current.aliasSymbol.getName());
    if (current.isClassOrInterface()) for (const base of checker.getBaseTypes(current)) visit(base, depth + 1);
    const target = (current as ts.TypeReference).target;
    if (target && target !== current && target.isClassOrInterface()) {
      for (const base of checker.getBaseTypes(target)) visit(base, depth + 1);
    }
  };
  visit(type, 0);
  return names;
}

function fieldKey({ owner, name, isStatic }: FieldName): string {
  return `${owner.range[0]}:${isStatic ? 'static ' : ''}${name}`;
}

/** The name of a non-computed key or property: `x`, or `#x` for a private one. */
function keyName(node: TSESTree.Node): string | null {
  if (node.type === AST_NODE_TYPES.Identifier) return node.name;
  if (node.type === AST_NODE_TYPES.PrivateIdentifier) return `#${node.name}`;
  return null;
}

/** True when `this` at node is the class itself: inside a static method, field or block of owner. */
function inStaticMember(node: TSESTree.Node, owner: ClassNode): boolean {
  for (let current = node.parent; current && current !== owner.body; current = current.parent) {
    if (current.type === AST_NODE_TYPES.StaticBlock) return true;
    if ((current.type === AST_NODE_TYPES.MethodDefinition || current.type === AST_NODE_TYPES.PropertyDefinition) && current.parent === owner.body) {
      return current.static;
    }
  }
  return false;
}

/** The default of a parameter (`cache = new Map()`, `{ cache = new Map() } = {}`), or null. */
function parameterDefault(parameter: TSESTree.Node): TSESTree.Node | null {
  const pattern = parameter.parent;
  return pattern?.type === AST_NODE_TYPES.AssignmentPattern && pattern.left === parameter ? unwrap(pattern.right) : null;
}

/** The constructor's parameter property (`private readonly cache = …`) that declares the field, as its identifier. */
function parameterProperty(owner: ClassNode, name: string): TSESTree.Identifier | null {
  const constructor = owner.body.body.find(
    (member): member is TSESTree.MethodDefinition => member.type === AST_NODE_TYPES.MethodDefinition && member.kind === 'constructor',
  );
  for (const parameter of constructor?.value.params ?? []) {
    if (parameter.type !== AST_NODE_TYPES.TSParameterProperty) continue;
    const declared = parameter.parameter.type === AST_NODE_TYPES.AssignmentPattern ? parameter.parameter.left : parameter.parameter;
    if (declared.type === AST_NODE_TYPES.Identifier && declared.name === name) return declared;
  }
  return null;
}

/** The value of `this.name = …` among the constructor's own statements. */
function constructorAssignment(owner: ClassNode, name: string): TSESTree.Node | null {
  const constructor = owner.body.body.find(
    (member): member is TSESTree.MethodDefinition => member.type === AST_NODE_TYPES.MethodDefinition && member.kind === 'constructor',
  );
  for (const statement of constructor?.value.body?.body ?? []) {
    if (statement.type !== AST_NODE_TYPES.ExpressionStatement || statement.expression.type !== AST_NODE_TYPES.AssignmentExpression) continue;
    const { left, operator, right } = statement.expression;
    if (
      operator === '=' &&
      left.type === AST_NODE_TYPES.MemberExpression &&
      left.object.type === AST_NODE_TYPES.ThisExpression &&
      !left.computed &&
      keyName(left.property) === name
    ) {
      return unwrap(right);
    }
  }
  return null;
}

function isEmptyRecordLiteral(node: TSESTree.Node): boolean {
  if (node.type === AST_NODE_TYPES.ObjectExpression) return node.properties.length === 0;
  return (
    node.type === AST_NODE_TYPES.CallExpression &&
    node.callee.type === AST_NODE_TYPES.MemberExpression &&
    node.callee.object.type === AST_NODE_TYPES.Identifier &&
    node.callee.object.name === 'Object' &&
    node.callee.property.type === AST_NODE_TYPES.Identifier &&
    node.callee.property.name === 'create'
  );
}

function isExported(declarator: TSESTree.VariableDeclarator): boolean {
  const declaration = declarator.parent;
  return declaration?.parent?.type === AST_NODE_TYPES.ExportNamedDeclaration;
}

/**
 * True for `name[k] = …`, `name[k] += …`, `name[k]++` and `delete name[k]` with a computed key,
 * and `Object.assign(name, { [k]: … })`.
 */
function isComputedWrite(identifier: TSESTree.Node): boolean {
  const call = identifier.parent;
  if (call?.type === AST_NODE_TYPES.CallExpression && call.arguments[0] === identifier && calleeText(call.callee) === 'Object.assign') {
    return call.arguments.slice(1).some(
      (source) => source.type === AST_NODE_TYPES.ObjectExpression && source.properties.some((property) => property.type === AST_NODE_TYPES.Property && property.computed),
    );
  }
  const member = identifier.parent;
  if (member?.type !== AST_NODE_TYPES.MemberExpression || member.object !== identifier || !member.computed) return false;
  const parent = member.parent;
  return (
    (parent?.type === AST_NODE_TYPES.AssignmentExpression && parent.left === member) ||
    parent?.type === AST_NODE_TYPES.UpdateExpression ||
    (parent?.type === AST_NODE_TYPES.UnaryExpression && parent.operator === 'delete')
  );
}

/** True when node is inside function fn's own body (not in a function nested in it). */
export function ownedBy(node: TSESTree.Node, fn: TSESTree.Node): boolean {
  for (let current = node.parent; current; current = current.parent) {
    if (current === fn) return true;
    if (isFunction(current)) return false;
  }
  return false;
}
