/**
 * What is a map: Map, Set, WeakMap, WeakSet, GoMap, SafeMap, ShardedMap, and plain objects used as
 * records. With type information a reference is recognised through aliases, subclasses,
 * parameters, class fields and imports; without it, from what the declaration shows: a
 * `new Map()` initialiser, a `Map<…>` / `Record<…>` / index-signature annotation, or `{}` that the
 * file writes with computed keys.
 */
import { AST_NODE_TYPES, ASTUtils, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import type * as ts from 'typescript';
import { enclosingClass, enclosingFunction, isFunction, unwrap, type FunctionNode } from './ast.js';

export type MapKind = 'Map' | 'Set' | 'WeakMap' | 'WeakSet' | 'GoMap' | 'SafeMap' | 'ShardedMap' | 'record';

const constructorKinds: Record<string, MapKind> = {
  Map: 'Map',
  Set: 'Set',
  WeakMap: 'WeakMap',
  WeakSet: 'WeakSet',
  GoMap: 'GoMap',
  SafeMap: 'SafeMap',
  ShardedMap: 'ShardedMap',
};

/** One map the file refers to: a variable, or a class field reached through `this`. */
export interface MapBinding {
  /** How the source names it: `users`, `this.cache`. */
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

interface TypeServices {
  checker: ts.TypeChecker;
  toTsNode: (node: TSESTree.Node) => ts.Node;
}

/** Finds the maps a file's references name; one per file, caching what it resolved. */
export class MapResolver {
  private readonly byVariable = new Map<TSESLint.Scope.Variable, MapBinding | null>();
  private readonly byField = new Map<string, MapBinding | null>();
  private readonly types: TypeServices | null;

  constructor(
    private readonly sourceCode: TSESLint.SourceCode,
    private readonly safeTypes: ReadonlySet<string>,
  ) {
    const services = sourceCode.parserServices;
    this.types =
      services?.program && services.esTreeNodeToTSNodeMap
        ? { checker: services.program.getTypeChecker(), toTsNode: (node) => services.esTreeNodeToTSNodeMap!.get(node as never) }
        : null;
  }

  get typeAware(): boolean {
    return this.types !== null;
  }

  /** The map an expression refers to (an identifier or `this.field`), or null. */
  resolve(node: TSESTree.Node): MapBinding | null {
    if (node.type === AST_NODE_TYPES.Identifier) {
      const variable = ASTUtils.findVariable(this.sourceCode.getScope(node), node);
      if (!variable) return this.typedOnly(node, node.name);
      if (!this.byVariable.has(variable)) this.byVariable.set(variable, this.fromVariable(variable, node));
      return this.byVariable.get(variable)!;
    }
    if (
      node.type === AST_NODE_TYPES.MemberExpression &&
      node.object.type === AST_NODE_TYPES.ThisExpression &&
      !node.computed &&
      node.property.type === AST_NODE_TYPES.Identifier
    ) {
      const owner = enclosingClass(node);
      if (!owner) return null;
      const key = `${owner.range[0]}:${node.property.name}`;
      if (!this.byField.has(key)) this.byField.set(key, this.fromField(owner, node.property.name, node));
      return this.byField.get(key)!;
    }
    return null;
  }

  /** The identity under which accesses of one map are grouped. */
  identity(node: TSESTree.Node): object | string | null {
    if (node.type === AST_NODE_TYPES.Identifier) {
      return ASTUtils.findVariable(this.sourceCode.getScope(node), node) ?? null;
    }
    if (node.type === AST_NODE_TYPES.MemberExpression && node.object.type === AST_NODE_TYPES.ThisExpression) {
      const owner = enclosingClass(node);
      const name = !node.computed && node.property.type === AST_NODE_TYPES.Identifier ? node.property.name : null;
      return owner && name ? `${owner.range[0]}:${name}` : null;
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
      if (init?.type === AST_NODE_TYPES.NewExpression && init.callee.type === AST_NODE_TYPES.Identifier) {
        if (this.safeTypes.has(init.callee.name)) return { ...base, kind: 'Map', construction: init, annotation, foreign, guarded: true };
        kind = constructorKinds[init.callee.name] ?? null;
        if (kind) construction = init;
      }
      if (!kind && annotation) kind = this.kindOfAnnotation(annotation);
      if (!kind && init && isEmptyRecordLiteral(init) && variable.references.some((ref) => isComputedWrite(ref.identifier))) kind = 'record';
      foreign = isExported(declarator);
    } else if (definition.type === 'Parameter') {
      const parameter = definition.name as TSESTree.Identifier;
      annotation = parameter.typeAnnotation?.typeAnnotation ?? null;
      if (annotation) kind = this.kindOfAnnotation(annotation);
      foreign = true;
    } else if (definition.type === 'ImportBinding') {
      foreign = true;
    } else {
      return null;
    }
    if (annotation && this.isSafeAnnotation(annotation)) return null;
    if (!kind) kind = this.kindOfType(reference);
    if (!kind) return null;
    if (kind === 'Map' && this.typedSafe(reference)) return null;
    return { ...base, kind, construction, annotation, foreign, guarded: false };
  }

  private fromField(owner: TSESTree.ClassDeclaration | TSESTree.ClassExpression, name: string, reference: TSESTree.MemberExpression): MapBinding | null {
    let construction: TSESTree.NewExpression | null = null;
    let annotation: TSESTree.TypeNode | null = null;
    let kind: MapKind | null = null;
    for (const member of owner.body.body) {
      if (
        member.type === AST_NODE_TYPES.PropertyDefinition &&
        !member.computed &&
        member.key.type === AST_NODE_TYPES.Identifier &&
        member.key.name === name
      ) {
        annotation = member.typeAnnotation?.typeAnnotation ?? null;
        const value = member.value ? unwrap(member.value) : null;
        if (value?.type === AST_NODE_TYPES.NewExpression && value.callee.type === AST_NODE_TYPES.Identifier) {
          if (this.safeTypes.has(value.callee.name)) return null;
          kind = constructorKinds[value.callee.name] ?? null;
          if (kind) construction = value;
        }
        if (!kind && annotation) kind = this.kindOfAnnotation(annotation);
        if (annotation && this.isSafeAnnotation(annotation)) return null;
      }
    }
    if (!kind) kind = this.kindOfType(reference);
    if (!kind) return null;
    return { name: `this.${name}`, kind, scope: 'class', declaredIn: null, construction, annotation, foreign: false, guarded: false };
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
      return constructorKinds[name] ?? null;
    }
    if (annotation.type === AST_NODE_TYPES.TSTypeLiteral) {
      return annotation.members.some((member) => member.type === AST_NODE_TYPES.TSIndexSignature) ? 'record' : null;
    }
    return null;
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
    const { checker, toTsNode } = this.types;
    const type = checker.getTypeAtLocation(toTsNode(node));
    for (const name of typeNames(checker, type)) {
      if (this.safeTypes.has(name)) return null;
      const kind = constructorKinds[name];
      if (kind) return kind;
    }
    if (type.isUnion() || type.getCallSignatures().length > 0 || checker.isArrayType(type) || checker.isTupleType(type)) return null;
    const flags = (type.getFlags() as number);
    const objectFlag = 524288; // ts.TypeFlags.Object
    if ((flags & objectFlag) !== 0 && (type.getStringIndexType() || type.getNumberIndexType()) && type.getProperties().length === 0) {
      return 'record';
    }
    return null;
  }

  private typedSafe(node: TSESTree.Node): boolean {
    if (!this.types || this.safeTypes.size === 0) return false;
    const type = this.types.checker.getTypeAtLocation(this.types.toTsNode(node));
    return typeNames(this.types.checker, type).some((name) => this.safeTypes.has(name));
  }
}

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

/** True for `name[k] = …`, `name[k] += …`, `name[k]++` and `delete name[k]` with a computed key. */
function isComputedWrite(identifier: TSESTree.Node): boolean {
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
