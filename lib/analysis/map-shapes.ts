/**
 * Caches that are not a `new Map` in the file, recognised by what they are built with or by their
 * shape: a third-party LRU (`lru-cache`, `quick-lru`), an object whose type has `get` and `set`
 * methods (a `Cache<V>` interface, an injected cache), and an async store whose `get`/`set` are
 * awaited (Keyv, a Redis client, cache-manager). A name alone never makes a map: `const cache =
 * getCache()` stays unknown unless its type or the file's awaited `get`/`set` on it say more.
 */
import { AST_NODE_TYPES, ASTUtils, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import type * as ts from 'typescript';
import { calleeText, propertyName, unwrap, walkAll } from './ast.js';

/** The kinds this module recognises; each reads well as the subject of a report. */
export type ShapeKind = 'LRUCache' | 'QuickLRU' | 'Map-like' | 'Async store';

/** The LRU classes by the package that exports them, and by their own names. */
const lruModules: Record<string, ShapeKind> = { 'lru-cache': 'LRUCache', 'quick-lru': 'QuickLRU' };
const lruClasses: Record<string, ShapeKind> = { LRUCache: 'LRUCache', QuickLRU: 'QuickLRU' };

/**
 * Types that have `get` and `set` but are no shared cache of the program's: request headers and
 * query strings built per request, and the language's reflection namespaces.
 */
const notCaches = new Set(['Headers', 'URLSearchParams', 'FormData', 'Reflect', 'Atomics']);

/** How a store or cache is named when its type is unknown: the syntactic async-store evidence needs it. */
const storeName = /store|cache|kv|redis/iu;

/**
 * The LRU kind a `new X(…)` builds: X is `LRUCache` or `QuickLRU`, or any name bound by an
 * import or `require` of `lru-cache` / `quick-lru` (`import LRU from 'lru-cache'`, `const LRU =
 * require('lru-cache')`).
 */
export function lruKindOf(sourceCode: TSESLint.SourceCode, callee: TSESTree.Node): ShapeKind | null {
  if (callee.type !== AST_NODE_TYPES.Identifier) return null;
  const definition = ASTUtils.findVariable(sourceCode.getScope(callee), callee)?.defs[0];
  let from: string | null = null;
  if (definition?.type === 'ImportBinding') from = String((definition.parent as TSESTree.ImportDeclaration).source.value);
  else if (definition?.node.type === AST_NODE_TYPES.VariableDeclarator && definition.node.init) from = requiredModule(definition.node.init);
  if (from !== null) {
    const kind = lruModules[from];
    if (kind) return kind;
    if (!(callee.name in lruClasses)) return null;
  }
  return lruClasses[callee.name] ?? null;
}

/** `require('x')` or `require('x').Name` → `x`. */
function requiredModule(init: TSESTree.Node): string | null {
  let value = unwrap(init);
  if (value.type === AST_NODE_TYPES.MemberExpression) value = unwrap(value.object);
  if (value.type !== AST_NODE_TYPES.CallExpression || calleeText(value.callee) !== 'require') return null;
  const argument = value.arguments[0];
  return argument?.type === AST_NODE_TYPES.Literal && typeof argument.value === 'string' ? argument.value : null;
}

/**
 * What an annotation says when it is a type literal, or names an interface or type alias of this
 * file, with `get(key)` and `set(key, value)` members: an async store when `get` returns a
 * Promise, a Map-like cache otherwise.
 */
export function shapeOfAnnotation(sourceCode: TSESLint.SourceCode, annotation: TSESTree.TypeNode): ShapeKind | null {
  if (annotation.type === AST_NODE_TYPES.TSTypeLiteral) return shapeOfMembers(annotation.members);
  if (annotation.type !== AST_NODE_TYPES.TSTypeReference || annotation.typeName.type !== AST_NODE_TYPES.Identifier) return null;
  const definition = ASTUtils.findVariable(sourceCode.getScope(annotation), annotation.typeName)?.defs[0];
  const declaration = definition?.node;
  if (declaration?.type === AST_NODE_TYPES.TSInterfaceDeclaration) return shapeOfMembers(declaration.body.body);
  if (declaration?.type === AST_NODE_TYPES.TSTypeAliasDeclaration && declaration.typeAnnotation.type === AST_NODE_TYPES.TSTypeLiteral) {
    return shapeOfMembers(declaration.typeAnnotation.members);
  }
  return null;
}

function shapeOfMembers(members: readonly TSESTree.TypeElement[]): ShapeKind | null {
  const get = signatureOf(members, 'get', 1);
  const set = signatureOf(members, 'set', 2);
  if (!get || !set) return null;
  const returned = get.returnType?.typeAnnotation;
  const async = returned?.type === AST_NODE_TYPES.TSTypeReference && returned.typeName.type === AST_NODE_TYPES.Identifier && /^Promise(?:Like)?$/u.test(returned.typeName.name);
  return async ? 'Async store' : 'Map-like';
}

/** A method member `name(…)` (or a property of a function type) taking at least `arity` parameters. */
function signatureOf(members: readonly TSESTree.TypeElement[], name: string, arity: number): TSESTree.TSMethodSignature | TSESTree.TSFunctionType | null {
  for (const member of members) {
    if (member.type !== AST_NODE_TYPES.TSMethodSignature && member.type !== AST_NODE_TYPES.TSPropertySignature) continue;
    if (member.computed || member.key.type !== AST_NODE_TYPES.Identifier || member.key.name !== name) continue;
    if (member.type === AST_NODE_TYPES.TSMethodSignature && member.params.length >= arity) return member;
    const type = member.type === AST_NODE_TYPES.TSPropertySignature ? member.typeAnnotation?.typeAnnotation : undefined;
    if (type?.type === AST_NODE_TYPES.TSFunctionType && type.params.length >= arity) return type;
  }
  return null;
}

const moduleSymbol = 1536; // ts.SymbolFlags.Module: a namespace (`Reflect`), no object the program fills

/**
 * With type information: a Map-like cache or an async store when the type's apparent properties
 * include a callable `get(key)` and `set(key, value)` — not a function, a class, a namespace, or
 * a per-request value (`Headers`, `URLSearchParams`).
 */
export function shapeOfType(checker: ts.TypeChecker, type: ts.Type, names: readonly string[]): ShapeKind | null {
  if (names.some((name) => notCaches.has(name))) return null;
  if (type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0) return null;
  if (((type.getSymbol()?.getFlags() ?? 0) & moduleSymbol) !== 0) return null;
  const get = methodSignatures(checker, type, 'get', 1);
  const set = methodSignatures(checker, type, 'set', 2);
  if (get.length === 0 || set.length === 0) return null;
  return get.some((signature) => signature.getReturnType().getProperty('then') !== undefined) ? 'Async store' : 'Map-like';
}

function methodSignatures(checker: ts.TypeChecker, type: ts.Type, name: string, arity: number): readonly ts.Signature[] {
  const symbol = checker.getApparentType(type).getProperty(name);
  if (!symbol) return [];
  return checker.getTypeOfSymbol(symbol).getCallSignatures().filter((signature) => signature.getParameters().length >= arity);
}

/**
 * The receivers (by their text: `this.store`, `redis`) on which the file awaits both a read
 * (`get` or `has`) and a `set`, and whose name says store, cache, kv or redis: the syntactic
 * evidence of an async store.
 */
export function awaitedStores(sourceCode: TSESLint.SourceCode): Set<string> {
  const methods = new Map<string, Set<string>>();
  walkAll(sourceCode.ast, sourceCode.visitorKeys, (node) => {
    if (node.type !== AST_NODE_TYPES.AwaitExpression) return;
    const call = unwrap(node.argument);
    if (call.type !== AST_NODE_TYPES.CallExpression) return;
    const callee = unwrap(call.callee);
    if (callee.type !== AST_NODE_TYPES.MemberExpression) return;
    const method = propertyName(callee);
    if (method !== 'get' && method !== 'has' && method !== 'set') return;
    const receiver = sourceCode.getText(unwrap(callee.object));
    const seen = methods.get(receiver) ?? new Set<string>();
    seen.add(method);
    methods.set(receiver, seen);
  });
  const stores = new Set<string>();
  for (const [receiver, seen] of methods) {
    if (seen.has('set') && (seen.has('get') || seen.has('has')) && storeName.test(receiver.split('.').pop()!)) stores.add(receiver);
  }
  return stores;
}

/** True when a binding of that name may be an async store: the cheap test before the file is searched. */
export function namedLikeStore(name: string): boolean {
  return storeName.test(name.split('.').pop()!);
}
