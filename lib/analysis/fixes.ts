/**
 * How to rewrite a race: make the map a SafeMap (changing its construction and annotation, a
 * Set's uses, and the imports) and turn the section into the SafeMap call that makes it atomic:
 * check-then-act → getOrCompute, read-modify-write → update, anything else → withLock over the
 * smallest statement list holding the read and the write, with the section's uses of the map
 * going through the view. A loop over the live map iterates a copy instead.
 *
 * Where no rewrite is safe, the plan says why, and the message passes that on. Where the rewrite
 * is safe but some other write to the map stays a plain `set` (which a SafeMap turns into a thrown
 * "concurrent map writes" while a section holds the key), the plan is a suggestion only, and says
 * so: `eslint --fix` must not turn a lost update into a crash.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AST_NODE_TYPES, ASTUtils, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { calleeText, contains, enclosingFunction, isConstructorThisWrite, isFunction, outermost, propertyName, sameText, unwrap, walkOwnBody } from './ast.js';
import { referencedVariables } from './benign.js';
import { continuationGap } from './continuations.js';
import { writeMethods, type Access, type FileModel } from './file-model.js';
import type { LazyInitSection } from './lazy-init.js';
import type { MapBinding, MapReference } from './maps.js';
import { functionName } from './races.js';
import type { LiveLoopSection, ReadWriteSection, Section } from './sections.js';

export type FixId = 'useGetOrCompute' | 'useUpdate' | 'useWithLock' | 'iterateSnapshot';

export interface FixPlan {
  id: FixId;
  fix: (fixer: TSESLint.RuleFixer) => TSESLint.RuleFix[];
  /** Why `eslint --fix` must leave the rewrite to a suggestion, or null when it may apply it. */
  suggestionOnly: string | null;
}

export type Plan = { fix: FixPlan; reason?: undefined } | { fix?: undefined; reason: string };

/** One replacement of the source text (an insertion when the range is empty). */
interface TextEdit {
  range: [number, number];
  text: string;
}

/** A rewrite before the file-wide check of the map's other writers. */
type Draft = { id: FixId; edits: TextEdit[]; converts: MapBinding | null; range: [number, number]; access: Access } | { reason: string };

/**
 * The rewrite of each section, or why there is none. A rewrite that makes the map a SafeMap is
 * left to a suggestion unless every write of the map in the file is inside a section rewritten
 * here (or initialises the map before any task can run) and the map is not handed elsewhere.
 */
export function planFixes(model: FileModel, sections: readonly (Section | LazyInitSection)[], runtimeModule: string, filename: string): Plan[] {
  const drafts = sections.map((section) => draftOf(model, section, runtimeModule, filename));
  return drafts.map((draft) => {
    if ('reason' in draft) return { reason: draft.reason };
    const suggestionOnly = draft.converts ? plainWriter(model, draft, drafts) : null;
    const edits = draft.edits;
    return { fix: { id: draft.id, suggestionOnly, fix: (fixer) => edits.map((edit) => fixer.replaceTextRange(edit.range, edit.text)) } };
  });
}

function draftOf(model: FileModel, section: Section | LazyInitSection, runtimeModule: string, filename: string): Draft {
  if (section.type === 'lazy-init') return { reason: 'the value is no map entry' };
  if (section.type === 'live-loop') return snapshotDraft(model, section);
  const accessor = section.read.via ?? section.write.via;
  if (accessor) return { reason: `the section reaches '${section.read.map.name}' through ${functionName(accessor)}: guard the section by hand` };
  const gap = continuationGap(section.suspension.node);
  if (gap) return { reason: `the write runs in ${gap.word}: await the call instead, then guard the section` };
  const conversion = safeMapConversion(model, section.read, runtimeModule, filename);
  if ('reason' in conversion) return conversion;
  const rewrite =
    ifAbsentRewrite(model, section, conversion) ??
    loadRewrite(model, section, conversion) ??
    fillRewrite(model, section, conversion) ??
    updateRewrite(model, section, conversion) ??
    withLockRewrite(model, section, conversion);
  if ('reason' in rewrite) return rewrite;
  const outside = conversion.edits.filter((edit) => !within(edit.range, rewrite.range));
  if (outside.some((edit) => overlaps(edit.range, rewrite.range))) return { reason: "the section overlaps the map's declaration: rewrite it by hand" };
  return {
    id: rewrite.id,
    edits: [...outside, { range: rewrite.range, text: rewrite.text }, ...conversion.importEdits].sort((a, b) => a.range[0] - b.range[0] || a.range[1] - b.range[1]),
    converts: conversion.converts,
    range: rewrite.range,
    access: section.read,
  };
}

// ---- may eslint --fix apply it? ---------------------------------------------------------------------

/** The first write (or use) of the map that would stay plain after the fixes, in the message's words. */
function plainWriter(model: FileModel, draft: Extract<Draft, { id: FixId }>, drafts: readonly Draft[]): string | null {
  const { identity, ref } = draft.access;
  const rewritten = drafts.flatMap((other) => ('reason' in other || other.access.identity !== identity || !other.converts ? [] : [other.range]));
  const map = draft.converts!;
  const throws = 'which a SafeMap turns into a thrown "concurrent map writes" while a section holds the key';
  for (const reference of model.resolver.referencesOf(ref)) {
    if (reference.assigns || rewritten.some((range) => within(reference.node.range, range))) continue;
    const use = usesOf(reference.node);
    const where = reference.node.loc.start.line;
    if (use.kind === 'other') return `'${map.name}' is handed on at line ${where}, and what gets it may write it with a plain set, ${throws}`;
    if (use.kind !== 'member' || !use.call || !writeMethods.has(use.name) || initialises(model, reference.node)) continue;
    const owner = enclosingFunction(reference.node);
    const who = owner ? `${functionName(owner)} (line ${where})` : `the code on line ${where}`;
    return `${who} also writes '${map.name}' with a plain ${use.name}, ${throws}; move that write into SafeMap's update or withLock too`;
  }
  return null;
}


/**
 * True for a write that fills the map before any task can see it: top-level code before any
 * top-level await, or the constructor filling its own instance's field through `this`.
 */
function initialises(model: FileModel, ref: TSESTree.Node): boolean {
  const owner = enclosingFunction(ref);
  if (owner === null) return !model.suspensions.some((suspension) => suspension.owner === null && suspension.node.range[0] < ref.range[0]);
  return isConstructorThisWrite(ref, owner);
}

// ---- the map becomes a SafeMap ---------------------------------------------------------------------

interface Conversion {
  /** The map it converts, or null when it is a SafeMap already. */
  converts: MapBinding | null;
  /** Edits of the declaration and of the uses that change with the type (a Set's `add(k)` → `set(k, true)`). */
  edits: TextEdit[];
  /** Adding SafeMap's import (or require), and dropping a GoMap import the edits leave unused. */
  importEdits: TextEdit[];
  /** What a Set's entries hold once it is a SafeMap (`true`); null for a map. */
  setValue: string | null;
}

function safeMapConversion(model: FileModel, access: Access, runtimeModule: string, filename: string): Conversion | { reason: string } {
  const map = access.map;
  if (map.kind === 'SafeMap' || map.kind === 'ShardedMap') return { converts: null, edits: [], importEdits: [], setValue: null };
  const why = unconvertible(map);
  if (why) return { reason: why };
  const { sourceCode } = model;
  const construction = map.construction!;
  const references = model.resolver.referencesOf(access.ref);
  const reassigned = references.find((reference) => reference.assigns && !assignsConstruction(reference, construction));
  if (reassigned) {
    return { reason: `'${map.name}' is assigned again on line ${reassigned.node.loc.start.line}: make every map assigned to it a SafeMap by hand` };
  }
  const annotation = annotationEdits(sourceCode, map);
  if ('reason' in annotation) return annotation;
  const typeArguments = construction.typeArguments ? sourceCode.getText(construction.typeArguments) : '';
  const edits: TextEdit[] = [...annotation];
  if (map.kind === 'GoMap') {
    edits.push({ range: construction.range, text: `new SafeMap${typeArguments}({ store: 'go' })` });
  } else if (map.kind === 'Set') {
    if (construction.arguments.length > 0) return { reason: `'${map.name}' is a Set built from values: build a SafeMap of keys to true from them by hand` };
    const key = construction.typeArguments?.params[0];
    edits.push({ range: construction.range, text: key ? `new SafeMap<${sourceCode.getText(key)}, boolean>()` : 'new SafeMap()' });
    const uses = setUseEdits(map, references);
    if ('reason' in uses) return uses;
    edits.push(...uses);
  } else {
    edits.push({ range: construction.callee.range, text: 'SafeMap' });
  }
  const goMap = map.kind === 'GoMap' && construction.callee.type === AST_NODE_TYPES.Identifier ? construction.callee : null;
  return { converts: map, edits, importEdits: importEdits(model, construction, goMap, edits, runtimeModule, filename), setValue: map.kind === 'Set' ? 'true' : null };
}

/** Why a map cannot become a SafeMap here, or null when it can. */
function unconvertible(map: MapBinding): string | null {
  const name = `'${map.name}'`;
  if (map.kind === 'record') return `${name} is a plain object: make it a SafeMap by hand (its property reads and writes become get and set)`;
  if (map.kind === 'WeakMap' || map.kind === 'WeakSet') return `${name} is a ${map.kind}, and SafeMap would hold its keys strongly: guard the section with a lock instead`;
  if (map.kind === 'LRUCache' || map.kind === 'QuickLRU') return `${name} is an LRU cache, which keeps eviction: guard the section or store promises`;
  if (map.kind === 'Async store') return `${name} is an external store: use its atomic operation (SET NX, a compare-and-set) or a lock`;
  if (map.kind === 'Map-like') return `${name} is a cache of its own type, not a Map: guard the section or store promises`;
  if (map.foreign) return `${name} is ${map.scope === 'module' ? 'exported' : map.scope === 'class' ? 'handed to the constructor' : 'a parameter or an import'}: other modules build or hold it as a ${map.kind}, so the fix cannot change its type here`;
  if (!map.construction) return `${name} is not built in this file: change its construction to new SafeMap(…) where it is made`;
  if (map.kind === 'GoMap' && map.construction.arguments.length > 0) return `${name} is a GoMap built with arguments: build a SafeMap({ store: 'go' }) with the same entries`;
  return null;
}

function assignsConstruction(reference: MapReference, construction: TSESTree.NewExpression): boolean {
  const assignment = outermost(reference.node).parent;
  return assignment?.type === AST_NODE_TYPES.AssignmentExpression && unwrap(assignment.right) === construction;
}

/** `Map<K, V>` → `SafeMap<K, V>`, `Set<K>` → `SafeMap<K, boolean>` (of keys to true), each member of a union with undefined or null. */
function annotationEdits(sourceCode: TSESLint.SourceCode, map: MapBinding): TextEdit[] | { reason: string } {
  const annotation = map.annotation;
  if (!annotation) return [];
  const members = annotation.type === AST_NODE_TYPES.TSUnionType ? annotation.types : [annotation];
  const edits: TextEdit[] = [];
  for (const member of members) {
    if (member.type === AST_NODE_TYPES.TSUndefinedKeyword || member.type === AST_NODE_TYPES.TSNullKeyword) continue;
    const name = member.type === AST_NODE_TYPES.TSTypeReference && member.typeName.type === AST_NODE_TYPES.Identifier ? member.typeName.name : null;
    if (member.type === AST_NODE_TYPES.TSTypeReference && (name === 'Map' || name === 'GoMap')) {
      edits.push({ range: member.typeName.range, text: 'SafeMap' });
    } else if (member.type === AST_NODE_TYPES.TSTypeReference && name === 'Set') {
      const key = member.typeArguments?.params[0];
      edits.push({ range: member.range, text: `SafeMap<${key ? sourceCode.getText(key) : 'unknown'}, boolean>` });
    } else {
      return { reason: `'${map.name}' is declared as ${sourceCode.getText(annotation)}, not as a Map: declare it as a SafeMap by hand` };
    }
  }
  return edits;
}

/**
 * How a reference uses the map: calls or reads a member, iterates it, copies its entries into a
 * new Map or object, names its type, or something else (hands it on).
 */
type Use =
  | { kind: 'member'; name: string; member: TSESTree.MemberExpression; call: TSESTree.CallExpression | null }
  | { kind: 'iterated'; outer: TSESTree.Node }
  | { kind: 'copied' }
  | { kind: 'type' }
  | { kind: 'other' };

function usesOf(node: TSESTree.Node): Use {
  const outer = outermost(node);
  const parent = outer.parent;
  if (!parent) return { kind: 'other' };
  if (parent.type === AST_NODE_TYPES.TSTypeQuery) return { kind: 'type' };
  if (parent.type === AST_NODE_TYPES.MemberExpression && parent.object === outer && !parent.computed) {
    const name = propertyName(parent);
    const call = outermost(parent).parent;
    if (name === null) return { kind: 'other' };
    return { kind: 'member', name, member: parent, call: call?.type === AST_NODE_TYPES.CallExpression && unwrap(call.callee) === parent ? call : null };
  }
  if ((parent.type === AST_NODE_TYPES.ForOfStatement && parent.right === outer) || parent.type === AST_NODE_TYPES.SpreadElement) return { kind: 'iterated', outer };
  if (
    (parent.type === AST_NODE_TYPES.CallExpression || parent.type === AST_NODE_TYPES.NewExpression) &&
    parent.arguments[0] === outer &&
    /^(?:Array\.from|Set)$/u.test(calleeText(parent.callee) ?? '')
  ) {
    return { kind: 'iterated', outer };
  }
  if (
    (parent.type === AST_NODE_TYPES.CallExpression || parent.type === AST_NODE_TYPES.NewExpression) &&
    parent.arguments[0] === outer &&
    /^(?:Map|Object\.fromEntries)$/u.test(calleeText(parent.callee) ?? '')
  ) {
    return { kind: 'copied' };
  }
  return { kind: 'other' };
}

/** A Set's uses in SafeMap terms: `add(k)` → `set(k, true)`, `values()` → `keys()`, iterating it → iterating its keys. */
function setUseEdits(map: MapBinding, references: readonly MapReference[]): TextEdit[] | { reason: string } {
  const edits: TextEdit[] = [];
  for (const reference of references) {
    if (reference.assigns) continue;
    const use = usesOf(reference.node);
    const cannot = { reason: `'${map.name}' is a Set, used on line ${reference.node.loc.start.line} in a way a SafeMap of keys to true does not take: convert it by hand, or guard the section with a lock` };
    if (use.kind === 'type') continue;
    if (use.kind === 'iterated') {
      edits.push({ range: [use.outer.range[1], use.outer.range[1]], text: '.keys()' });
      continue;
    }
    if (use.kind !== 'member') return cannot;
    if (['has', 'delete', 'clear', 'keys'].includes(use.name) && use.call) continue;
    if (use.name === 'size') continue;
    if (use.name === 'values' && use.call) {
      edits.push({ range: use.member.property.range, text: 'keys' });
      continue;
    }
    const chained = use.call && outermost(use.call).parent?.type === AST_NODE_TYPES.MemberExpression;
    const [value, ...rest] = use.call?.arguments ?? [];
    if (use.name === 'add' && use.call && value && value.type !== AST_NODE_TYPES.SpreadElement && rest.length === 0 && !chained) {
      edits.push({ range: use.member.property.range, text: 'set' }, { range: [value.range[1], value.range[1]], text: ', true' });
      continue;
    }
    return cannot;
  }
  return edits;
}

// ---- the import ------------------------------------------------------------------------------------

/**
 * Makes SafeMap visible where the map is built: nothing when the file already has it; an
 * `import` (ESM) or a `require` (CommonJS) from the runtime module otherwise. A GoMap import
 * that the edits leave unused becomes SafeMap's, or goes.
 */
function importEdits(
  model: FileModel,
  construction: TSESTree.NewExpression,
  goMap: TSESTree.Identifier | null,
  edits: readonly TextEdit[],
  runtimeModule: string,
  filename: string,
): TextEdit[] {
  const { sourceCode } = model;
  const unusedGoMap = goMap ? leftUnused(model, goMap, edits) : null;
  const hasSafeMap = ASTUtils.findVariable(sourceCode.getScope(construction), 'SafeMap') !== null;
  if (unusedGoMap) {
    const { specifier, from } = unusedGoMap;
    if (!hasSafeMap && isRuntimeModule(from, runtimeModule)) return [{ range: specifier.range, text: 'SafeMap' }];
    return [removal(sourceCode, specifier), ...(hasSafeMap ? [] : [addition(model, runtimeModule, filename)])];
  }
  return hasSafeMap ? [] : [addition(model, runtimeModule, filename)];
}

/** The import (or require) specifier of a constructor the edits leave without any reference. */
function leftUnused(
  model: FileModel,
  callee: TSESTree.Identifier,
  edits: readonly TextEdit[],
): { specifier: TSESTree.ImportSpecifier | TSESTree.Property; from: string } | null {
  const variable = ASTUtils.findVariable(model.sourceCode.getScope(callee), callee);
  const definition = variable?.defs[0];
  if (!variable || !definition) return null;
  if (variable.references.some((reference) => !edits.some((edit) => within(reference.identifier.range, edit.range)))) return null;
  if (definition.node.type === AST_NODE_TYPES.ImportSpecifier && definition.parent?.type === AST_NODE_TYPES.ImportDeclaration) {
    return { specifier: definition.node, from: definition.parent.source.value };
  }
  const property = definition.name.parent;
  const declarator = definition.node;
  if (property?.type === AST_NODE_TYPES.Property && declarator.type === AST_NODE_TYPES.VariableDeclarator && declarator.init) {
    const from = requiredModule(declarator.init);
    if (from !== null) return { specifier: property, from };
  }
  return null;
}

/** Removes an import or destructuring specifier with its comma, or the whole statement when it is the only one. */
function removal(sourceCode: TSESLint.SourceCode, specifier: TSESTree.ImportSpecifier | TSESTree.Property): TextEdit {
  const list = specifier.parent as TSESTree.ImportDeclaration | TSESTree.ObjectPattern;
  const siblings = list.type === AST_NODE_TYPES.ImportDeclaration ? list.specifiers : list.properties;
  if (siblings.length === 1) {
    const statement = list.type === AST_NODE_TYPES.ImportDeclaration ? list : (list.parent!.parent as TSESTree.VariableDeclaration);
    const next = sourceCode.text.slice(statement.range[1]).match(/^[ \t]*\r?\n/u)?.[0].length ?? 0;
    return { range: [statement.range[0], statement.range[1] + next], text: '' };
  }
  const index = siblings.indexOf(specifier as never);
  const after = siblings[index + 1];
  if (after) return { range: [specifier.range[0], after.range[0]], text: '' };
  return { range: [siblings[index - 1]!.range[1], specifier.range[1]], text: '' };
}

/**
 * The modules that export the runtime (SafeMap, GoMap): the `maprace` package, and the plugin's
 * `eslint-plugin-maprace/runtime`, which code written before `maprace` existed imports. An import
 * from any of them is an existing runtime import whatever `runtimeModule` says, so a fix adds
 * SafeMap to it instead of importing the runtime a second time from another module.
 */
const knownRuntimeModules: readonly string[] = ['maprace', 'eslint-plugin-maprace/runtime'];

function isRuntimeModule(from: string, runtimeModule: string): boolean {
  return from === runtimeModule || knownRuntimeModules.includes(from);
}

/** The statement that imports from `runtimeModule`, else one that imports from a known runtime module. */
function preferred<T>(statements: readonly T[], from: (statement: T) => string, runtimeModule: string): T | undefined {
  return statements.find((statement) => from(statement) === runtimeModule)
    ?? statements.find((statement) => isRuntimeModule(from(statement), runtimeModule));
}

/** `import { SafeMap } from '…'` in a module, `const { SafeMap } = require('…')` in CommonJS. */
function addition(model: FileModel, runtimeModule: string, filename: string): TextEdit {
  const program = model.sourceCode.ast;
  const first = program.body.find((statement) => !(statement.type === AST_NODE_TYPES.ExpressionStatement && statement.directive !== undefined));
  const before = (text: string): TextEdit => (first ? { range: [first.range[0], first.range[0]], text } : { range: [program.range[1], program.range[1]], text });
  if (isCommonJs(model, filename)) {
    const requires = program.body.filter(
      (statement): statement is TSESTree.VariableDeclaration =>
        statement.type === AST_NODE_TYPES.VariableDeclaration && statement.declarations.length === 1 && requiredModule(statement.declarations[0]!.init) !== null,
    );
    const destructured = requires.filter((statement) => statement.declarations[0]!.id.type === AST_NODE_TYPES.ObjectPattern);
    const fromRuntime = preferred(destructured, (statement) => requiredModule(statement.declarations[0]!.init)!, runtimeModule);
    const pattern = fromRuntime?.declarations[0]!.id as TSESTree.ObjectPattern | undefined;
    const lastProperty = pattern?.properties.at(-1);
    if (lastProperty) return { range: [lastProperty.range[1], lastProperty.range[1]], text: ', SafeMap' };
    const statement = `const { SafeMap } = require('${runtimeModule}');`;
    const last = requires.at(-1);
    return last ? { range: [last.range[1], last.range[1]], text: `\n${statement}` } : before(`${statement}\n\n`);
  }
  const imports = program.body.filter((statement): statement is TSESTree.ImportDeclaration => statement.type === AST_NODE_TYPES.ImportDeclaration);
  const valueImports = imports.filter((declaration) => declaration.importKind !== 'type');
  const fromRuntime = preferred(valueImports, (declaration) => declaration.source.value, runtimeModule);
  const named = fromRuntime?.specifiers.filter((specifier) => specifier.type === AST_NODE_TYPES.ImportSpecifier) ?? [];
  if (named.length > 0) return { range: [named.at(-1)!.range[1], named.at(-1)!.range[1]], text: ', SafeMap' };
  const statement = `import { SafeMap } from '${runtimeModule}';`;
  const last = imports.at(-1);
  return last ? { range: [last.range[1], last.range[1]], text: `\n${statement}` } : before(`${statement}\n\n`);
}

/**
 * True when the file is CommonJS: it has no import or export, and ESLint parses it as a script or
 * it uses `require`, `module` or `exports`; or, saying neither, it is a `.cjs` / `.cts` file, or a
 * `.js` file whose package.json does not say `"type": "module"`. A file with an import or export is
 * a module even when parsed as a script (a legacy config that leaves sourceType out).
 */
function isCommonJs(model: FileModel, filename: string): boolean {
  const program = model.sourceCode.ast;
  // Import/export statements decide first: a legacy config without sourceType: 'module' still
  // parses a TypeScript file's imports, and that file must get an import, not a require.
  const moduleSyntax = program.body.some(
    (statement) =>
      statement.type === AST_NODE_TYPES.ImportDeclaration ||
      statement.type === AST_NODE_TYPES.ExportNamedDeclaration ||
      statement.type === AST_NODE_TYPES.ExportDefaultDeclaration ||
      statement.type === AST_NODE_TYPES.ExportAllDeclaration,
  );
  if (moduleSyntax) return false;
  if (program.sourceType !== 'module') return true;
  const globalScope = model.sourceCode.scopeManager?.globalScope;
  const commonJsNames = new Set(['require', 'module', 'exports']);
  const usesCommonJs =
    globalScope !== undefined &&
    globalScope !== null &&
    (globalScope.through.some((reference) => commonJsNames.has(reference.identifier.name)) ||
      [...commonJsNames].some((name) => {
        const variable = globalScope.set.get(name);
        return variable !== undefined && variable.defs.length === 0 && variable.references.length > 0;
      }));
  if (usesCommonJs) return true;
  const extension = path.extname(filename);
  if (extension === '.cjs' || extension === '.cts') return true;
  if (extension === '.js' || extension === '.jsx') return packageType(path.dirname(filename)) !== 'module';
  return false;
}

const packageTypes = new Map<string, string | null>();

/** The `type` of the package.json nearest to a folder (null when there is none). */
function packageType(folder: string): string | null {
  if (packageTypes.has(folder)) return packageTypes.get(folder)!;
  let type: string | null = null;
  try {
    const manifest = JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as { type?: unknown };
    type = typeof manifest.type === 'string' ? manifest.type : 'commonjs';
  } catch {
    const parent = path.dirname(folder);
    type = parent === folder ? null : packageType(parent);
  }
  packageTypes.set(folder, type);
  return type;
}

/** `require('m')`, `require('m').x`: the module name; otherwise null. */
function requiredModule(node: TSESTree.Node | null): string | null {
  let value = node ? unwrap(node) : null;
  if (value?.type === AST_NODE_TYPES.MemberExpression) value = unwrap(value.object);
  if (value?.type !== AST_NODE_TYPES.CallExpression || value.callee.type !== AST_NODE_TYPES.Identifier || value.callee.name !== 'require') return null;
  const source = value.arguments[0];
  return source?.type === AST_NODE_TYPES.Literal && typeof source.value === 'string' ? source.value : null;
}

// ---- the section becomes a SafeMap call ------------------------------------------------------------

type Rewrite = { id: FixId; range: [number, number]; text: string } | { reason: string };

/**
 * `if (!m.has(k)) { …; m.set(k, v); }` → `await m.getOrCompute(k, async () => { …; return v; });`
 * and `if (m.has(k)) return; …; m.set(k, v);` ending a function the same way. A Set's `add(k)`
 * stores `true`.
 */
function ifAbsentRewrite(model: FileModel, section: ReadWriteSection, conversion: Conversion): Rewrite | null {
  const { read, write } = section;
  if (read.method !== 'has' || write.method !== (conversion.setValue ? 'add' : 'set') || !read.key || !write.key) return null;
  const { sourceCode } = model;
  const stored = conversion.setValue ? null : (write.node as TSESTree.CallExpression).arguments[1];
  const writeStatement = statementOfExpression(write.node);
  if (!sameText(sourceCode, read.key, write.key) || !writeStatement || (!conversion.setValue && !stored)) return null;
  const test = outermost(read.node);
  let statement: TSESTree.IfStatement;
  let moved: TSESTree.Statement[];
  let opening: number;
  let range: [number, number];
  if (test.parent?.type === AST_NODE_TYPES.UnaryExpression && test.parent.operator === '!' && test.parent.parent?.type === AST_NODE_TYPES.IfStatement) {
    // if (!m.has(k)) { …; m.set(k, v); }
    statement = test.parent.parent;
    if (statement.test !== test.parent || statement.alternate) return null;
    const { consequent } = statement;
    const body = consequent.type === AST_NODE_TYPES.BlockStatement ? consequent.body : [consequent];
    if (body.at(-1) !== writeStatement) return null;
    moved = body.slice(0, -1);
    opening = consequent.type === AST_NODE_TYPES.BlockStatement ? consequent.range[0] + 1 : consequent.range[0];
    range = statement.range;
  } else if (test.parent?.type === AST_NODE_TYPES.IfStatement && test.parent.test === test && !test.parent.alternate && isBareReturn(test.parent.consequent)) {
    // if (m.has(k)) return; …; m.set(k, v);  as the last statements of the function
    statement = test.parent;
    const block = statement.parent;
    if (block?.type !== AST_NODE_TYPES.BlockStatement || !endsFunction(writeStatement) || writeStatement.parent !== block) return null;
    moved = block.body.slice(block.body.indexOf(statement) + 1, -1);
    opening = statement.range[1];
    range = [statement.range[0], writeStatement.range[1]];
  } else {
    return null;
  }
  if (exitsFrom(model, moved, range) || otherUses(model, read, range, [read, write])) return null;
  const receiver = receiverOf(model, write);
  if (typeof receiver !== 'string') return receiver;
  const value = conversion.setValue ?? textOf(model, conversion, stored!);
  const loader = loaderOf(model, conversion, moved, opening, value, indentOf(sourceCode, statement), range);
  return { id: 'useGetOrCompute', range, text: `await ${receiver}.getOrCompute(${textOf(model, conversion, read.key)}, ${loader});` };
}

/**
 * `const v = m.get(k); if (v) return v; …; m.set(k, value); return value;` →
 * `return await m.getOrCompute(k, async () => { …; return value; });`
 */
function loadRewrite(model: FileModel, section: ReadWriteSection, conversion: Conversion): Rewrite | null {
  const { read, write } = section;
  const { sourceCode } = model;
  const held = heldRead(model, section);
  if (!held) return null;
  const { declared, body } = held;
  const start = body.indexOf(declared.statement);
  const check = body[start + 1];
  if (!check || !isEarlyReturnOf(check, declared.name)) return null;
  const writeStatement = statementOfExpression(write.node);
  const end = writeStatement ? body.indexOf(writeStatement) : -1;
  if (end <= start + 1) return null;
  const value = (write.node as TSESTree.CallExpression).arguments[1];
  if (!value) return null;
  const between = body.slice(start + 2, end);
  if (between.some((statement) => mentions(model, statement, declared.variable))) return null;
  const after = body[end + 1];
  const returnsValue = after?.type === AST_NODE_TYPES.ReturnStatement && after.argument && sameText(sourceCode, after.argument, value);
  const last = returnsValue ? after : writeStatement!;
  const range: [number, number] = [declared.statement.range[0], last.range[1]];
  if (exitsFrom(model, between, range) || otherUses(model, read, range, [read, write])) return null;
  if (!returnsValue && usedAfter(model, between, last)) return null;
  const receiver = receiverOf(model, write);
  if (typeof receiver !== 'string') return receiver;
  const indent = indentOf(sourceCode, declared.statement);
  const loader = loaderOf(model, conversion, between, check.range[1], textOf(model, conversion, value), indent, range);
  const call = `${receiver}.getOrCompute(${textOf(model, conversion, held.key)}, ${loader})`;
  return { id: 'useGetOrCompute', range, text: returnsValue ? `return await ${call};` : `await ${call};` };
}

/**
 * `let v = m.get(k); if (!v) { …; v = await load(k); m.set(k, v); }` (or `v === undefined`,
 * `v == null`) → `const v = await m.getOrCompute(k, () => load(k));`. What follows keeps using
 * `v`, which now holds the entry however many tasks missed; the statement is a bare `await` when
 * nothing follows that reads `v`. Inside the loader, the block's first `v = …` declares its own `v`.
 */
function fillRewrite(model: FileModel, section: ReadWriteSection, conversion: Conversion): Rewrite | null {
  const { read, write } = section;
  const { sourceCode } = model;
  const held = heldRead(model, section);
  if (!held || held.declared.statement.kind !== 'let' || held.declared.statement.declarations[0]!.init !== outermost(read.node)) return null;
  const { declared, body } = held;
  const check = body[body.indexOf(declared.statement) + 1];
  if (check?.type !== AST_NODE_TYPES.IfStatement || check.alternate || check.consequent.type !== AST_NODE_TYPES.BlockStatement || !testsAbsence(check.test, declared.name)) return null;
  const block = check.consequent.body;
  const writeStatement = statementOfExpression(write.node);
  const at = writeStatement ? block.indexOf(writeStatement) : -1;
  const value = (write.node as TSESTree.CallExpression).arguments[1];
  if (at < 0 || !value) return null;
  // after the write, only `v = value;` may follow
  const trailing = block.slice(at + 1);
  const copied = trailing.length === 1 ? assignmentTo(trailing[0]!, declared.name) : null;
  const storesValue = copied !== null && sameText(sourceCode, copied.right, value);
  if (trailing.length > 0 && !storesValue) return null;
  const moved = block.slice(0, at);
  const range: [number, number] = [declared.statement.range[0], check.range[1]];
  if (exitsFrom(model, moved, range) || otherUses(model, read, range, [read, write]) || assignedWithin(model, held.key, range)) return null;
  const variable = sourceCode.getDeclaredVariables(declared.statement)[0];
  if (!variable) return null;
  // v is reassigned after the section: its type would narrow to the entry's, so leave it to withLock
  if (variable.references.some((reference) => reference.isWrite() && !reference.init && !within(reference.identifier.range, range))) return null;
  // read after the section (or by a function that may run after it)
  const readAfter = variable.references.some((reference) => !within(reference.identifier.range, range));
  // the block's own `v`: declared by its first top-level `v = …`, and not used before it (nor by its own value)
  const first = moved.findIndex((statement) => assignmentTo(statement, declared.name) !== null);
  const declaring = first >= 0 ? (moved[first] as TSESTree.ExpressionStatement) : null;
  const assigned = declaring && assignmentTo(declaring, declared.name);
  const inside = variable.references.filter((reference) => within(reference.identifier.range, [check.consequent.range[0], write.node.range[1]]));
  const ownStart = assigned ? assigned.right.range[1] : Infinity;
  if (inside.some((reference) => reference.identifier.range[0] < ownStart && reference.identifier !== assigned?.left)) return null;
  // after the section, v must hold what was stored, as it will
  const returnsOwn = value.type === AST_NODE_TYPES.Identifier && value.name === declared.name;
  if (readAfter && !(returnsOwn && declaring) && !storesValue) return null;
  const receiver = receiverOf(model, write);
  if (typeof receiver !== 'string') return receiver;
  const indent = indentOf(sourceCode, declared.statement);
  const reassignedInside = inside.some((reference) => reference.isWrite() && reference.identifier !== assigned?.left);
  const loader =
    moved.length === 1 && assigned && returnsOwn && assigned.right.type === AST_NODE_TYPES.AwaitExpression && !commentsIn(model, check.consequent.range)
      ? `() => ${textOf(model, conversion, assigned.right.argument)}`
      : loaderOf(model, conversion, moved, check.consequent.range[0] + 1, textOf(model, conversion, value), indent, range, declaring ? [{ range: [declaring.range[0], declaring.range[0]], text: reassignedInside ? 'let ' : 'const ' }] : []);
  const call = `await ${receiver}.getOrCompute(${textOf(model, conversion, held.key)}, ${loader});`;
  const target = declared.statement.declarations[0]!.id;
  return { id: 'useGetOrCompute', range, text: readAfter ? `const ${textOf(model, conversion, target)} = ${call}` : call };
}

/** `const v = f(m.get(k)); …; m.set(k, g(v));` → `await m.update(k, async (old) => { const v = f(old); …; return g(v); });` */
function updateRewrite(model: FileModel, section: ReadWriteSection, conversion: Conversion): Rewrite | null {
  const { read, write } = section;
  const { sourceCode } = model;
  const held = heldRead(model, section);
  const writeStatement = statementOfExpression(write.node);
  if (!held || !writeStatement) return null;
  const { declared, body } = held;
  const start = body.indexOf(declared.statement);
  const end = body.indexOf(writeStatement);
  if (end <= start) return null;
  const moved = body.slice(start, end);
  const range: [number, number] = [declared.statement.range[0], writeStatement.range[1]];
  // a bare `return;` that ends the function early keeps the entry as it is: `return old;`
  const tail = endsFunction(writeStatement);
  if (exitsFrom(model, moved, range, tail) || usedAfter(model, moved, writeStatement)) return null;
  if (otherUses(model, read, range, [read, write])) return null;
  const value = (write.node as TSESTree.CallExpression).arguments[1];
  if (!value) return null;
  const old = freshName(sourceCode, range, ['old', 'previous', 'current']);
  if (!old) return null;
  const receiver = receiverOf(model, write);
  if (typeof receiver !== 'string') return receiver;
  const indent = indentOf(sourceCode, declared.statement);
  // the statements up to the write, with their comments, one level deeper; the read becomes `old`
  const keep = bareReturns(model, moved).map((statement) => ({ range: statement.range, text: `return ${old};` }));
  const moving = textOf(model, conversion, [declared.statement.range[0], writeStatement.range[0]], [{ range: read.node.range, text: old }, ...keep]).trimEnd();
  const text = `await ${receiver}.update(${textOf(model, conversion, held.key)}, async (${old}) => {\n${indent}  ${indentMore(moving, indent)}\n${indent}  return ${textOf(
    model,
    conversion,
    value,
  )};\n${indent}});`;
  return { id: 'useUpdate', range, text };
}

/**
 * The statements from the one holding the read to the one holding the write, in the smallest
 * statement list holding both, as `await m.withLock(keys, async (view) => { … })` with every use
 * of the map inside going through the view.
 */
function withLockRewrite(model: FileModel, section: ReadWriteSection, conversion: Conversion): Rewrite {
  const { read, write } = section;
  const { sourceCode } = model;
  const list = commonStatements(read.node, write.node);
  if (!list) return { reason: 'the read and the write are in different functions: wrap the section in withLock by hand' };
  const moved = list.body.slice(list.start, list.end + 1);
  const range: [number, number] = [moved[0]!.range[0], moved.at(-1)!.range[1]];
  // a bare `return;` ending the function early ends the section as early
  if (exitsFrom(model, moved, range, endsFunction(moved.at(-1)!))) return { reason: 'the section returns or jumps out of its block: wrap it in withLock by hand' };
  if (usedAfter(model, moved, moved.at(-1)!)) return { reason: 'the section declares variables used after it: wrap it in withLock by hand' };
  const uses = model.resolver.referencesOf(read.ref).filter((reference) => within(reference.node.range, range));
  for (const use of uses) {
    const how = usesOf(use.node);
    if (use.assigns || how.kind === 'other' || (how.kind === 'member' && !viewMembers.has(how.name))) {
      return { reason: `'${read.map.name}' is used on line ${use.node.loc.start.line} in a way a section's view does not take: wrap the section in withLock by hand` };
    }
    if (read.owner !== enclosingFunction(use.node)) return { reason: 'a function inside the section uses the map: wrap it in withLock by hand' };
  }
  const keys: TSESTree.Node[] = [];
  let whole = false;
  for (const use of uses) {
    const access = model.accesses.find((candidate) => candidate.ref === use.node);
    if (!access?.key) whole = true;
    else if (!keys.some((key) => sameText(sourceCode, key, access.key!))) keys.push(access.key);
  }
  for (const key of keys) {
    if (!isStableKey(key) || declaredWithin(model, key, range) || assignedWithin(model, key, range)) return { reason: `the key ${sourceCode.getText(key)} is computed inside the section: lock it by hand` };
  }
  const view = freshName(sourceCode, range, ['view', 'locked', 'entries']);
  if (!view) return { reason: 'no free name for the view' };
  const receiver = receiverOf(model, write);
  if (typeof receiver !== 'string') return receiver;
  const scope = whole ? 'null' : keys.length === 1 ? textOf(model, conversion, keys[0]!) : `[${keys.map((key) => textOf(model, conversion, key)).join(', ')}]`;
  const text = textOf(model, conversion, range, uses.map((use) => ({ range: outermost(use.node).range, text: view })));
  const indent = indentOf(sourceCode, moved[0]!);
  return {
    id: 'useWithLock',
    range,
    text: `await ${receiver}.withLock(${scope}, async (${view}) => {\n${indent}  ${indentMore(text, indent)}\n${indent}});`,
  };
}

/** What a section's view has: SafeMapView's reads and writes. */
const viewMembers = new Set(['get', 'has', 'set', 'delete', 'clear', 'size', 'keys', 'values', 'entries', 'forEach', 'add']);

// ---- a loop over the live map iterates a copy ------------------------------------------------------

function snapshotDraft(model: FileModel, section: LiveLoopSection): Draft {
  const loop = section.loop.node as TSESTree.ForOfStatement | TSESTree.ForInStatement;
  const right = model.sourceCode.getText(loop.right);
  const rechecks = writeBackRechecks(model, section);
  if ('reason' in rechecks) return rechecks;
  if (loop.type === AST_NODE_TYPES.ForInStatement) {
    // for (const k in rec) → for (const k of Object.keys(rec)): the keys as they were when the loop began
    if (rechecks.length > 0) return { reason: `a copy of the keys would let the write-back of '${section.loop.map.name}' revive entries deleted during the await: re-check each entry before writing it back` };
    const range: [number, number] = [loop.left.range[1], loop.right.range[1]];
    return { id: 'iterateSnapshot', edits: [{ range, text: ` of Object.keys(${right})` }], converts: null, range, access: section.loop };
  }
  return { id: 'iterateSnapshot', edits: [{ range: loop.right.range, text: `[...${right}]` }, ...rechecks], converts: null, range: loop.right.range, access: section.loop };
}

/**
 * A copy keeps the entries that other code deletes during the loop's awaits, so a write-back in
 * the loop (`m.set(k, { ...s, flushed: true })`) would revive them. The write is made to check,
 * synchronously, that the entry is still the one the loop read (`m.get(k) === s`, looping over
 * entries) or still there (`m.has(k)`). Deleting needs no check; a loop that writes the map in
 * more than one place, or whose write awaits, is left to the hand.
 */
function writeBackRechecks(model: FileModel, section: LiveLoopSection): TextEdit[] | { reason: string } {
  const loop = section.loop.node as TSESTree.ForOfStatement;
  const name = section.loop.map.name;
  const writes = model.accesses.filter((access) => access.identity === section.loop.identity && (access.kind === 'write' || access.kind === 'update') && contains(loop.body, access.node));
  const revivers = writes.filter((access) => (access.kind === 'update' || access.method === 'set' || access.method === 'add' || access.method === '[]') && writesBack(model, loop, access));
  if (revivers.length === 0) return [];
  const byHand = `a copy would let the write-back of '${name}' on line ${revivers[0]!.node.loc.start.line} revive entries deleted during the await: re-check each entry before writing it back`;
  const write = revivers[0]!;
  const statement = statementOfExpression(write.node);
  // a delete in the other branch of an if never runs before the write, so it cannot fail the re-check
  const others = writes.filter((access) => access !== write);
  if (others.some((other) => other.method !== 'delete' || !inOtherBranches(other.node, write.node))) return { reason: byHand };
  if (revivers.length > 1 || write.kind !== 'write' || !statement || !write.key || !isStableKey(write.key)) return { reason: byHand };
  if (model.suspensions.some((suspension) => contains(statement, suspension.node))) return { reason: byHand };
  const receiver = receiverOf(model, write);
  if (typeof receiver !== 'string') return receiver;
  const key = model.sourceCode.getText(write.key);
  const value = loopValueOf(model, loop, section.loop, write.key);
  const condition = value ? `${receiver}.get(${key}) === ${value}` : `${receiver}.has(${key})`;
  const parent = statement.parent;
  if (parent?.type === AST_NODE_TYPES.BlockStatement || parent?.type === AST_NODE_TYPES.Program || parent?.type === AST_NODE_TYPES.SwitchCase) {
    return [{ range: [statement.range[0], statement.range[0]], text: `if (${condition}) ` }];
  }
  // the sole statement of an if, else or loop: braces keep a following else with its own if
  return [
    { range: [statement.range[0], statement.range[0]], text: `{ if (${condition}) ` },
    { range: [statement.range[1], statement.range[1]], text: ' }' },
  ];
}

/**
 * True when a write in a loop may store the entry the loop visits: its key uses a variable the loop
 * declares, one the body declares from it (`const key = id`) or one the body assigns. A key the body
 * gets elsewhere (`for (const link of await crawl(url)) r[link] = …`) adds other entries, which a
 * copy cannot revive; a key the walk cannot follow counts as a write-back.
 */
function writesBack(model: FileModel, loop: TSESTree.ForOfStatement | TSESTree.ForInStatement, write: Access): boolean {
  if (!write.key || loop.left.type !== AST_NODE_TYPES.VariableDeclaration) return true;
  const declared = new Set(model.sourceCode.getDeclaredVariables(loop.left));
  const seen = new Set<TSESLint.Scope.Variable>();
  const fromLoop = (node: TSESTree.Node): boolean => [...referencedVariables(model, node)].some((variable) => {
    if (declared.has(variable)) return true;
    if (seen.has(variable)) return false;
    seen.add(variable);
    if (variable.references.some((reference) => reference.isWrite() && !reference.init && contains(loop.body, reference.identifier))) return true;
    const definition = variable.defs[0];
    if (!definition) return true;
    if (!contains(loop.body, definition.node)) return false;
    if (definition.type !== 'Variable') return true;
    if (definition.node.init) return fromLoop(definition.node.init);
    // the element of a nested loop (`for (const link of links)`): another entry than the one visited
    return definition.parent.parent?.type !== AST_NODE_TYPES.ForOfStatement && definition.parent.parent?.type !== AST_NODE_TYPES.ForInStatement;
  });
  return fromLoop(write.key);
}

/** True when an if runs one node in its consequent and the other in its alternate. */
function inOtherBranches(a: TSESTree.Node, b: TSESTree.Node): boolean {
  for (let current = a.parent; current; current = current.parent) {
    if (current.type !== AST_NODE_TYPES.IfStatement || !current.alternate || !contains(current, b)) continue;
    const [one, other] = contains(current.consequent, a) ? [current.consequent, current.alternate] : [current.alternate, current.consequent];
    return contains(one, a) && contains(other, b);
  }
  return false;
}

/**
 * The loop's value variable when it walks the map's entries as `[k, v]` and the write's key is
 * `k`: then `m.get(k) === v` says the entry is the one read. Null otherwise.
 */
function loopValueOf(model: FileModel, loop: TSESTree.ForOfStatement, iterated: Access, key: TSESTree.Node): string | null {
  const right = unwrap(loop.right);
  const entries =
    (right === unwrap(iterated.ref) && iterated.map.kind !== 'Set') ||
    (right.type === AST_NODE_TYPES.CallExpression && right.callee.type === AST_NODE_TYPES.MemberExpression && unwrap(right.callee.object) === unwrap(iterated.ref) && propertyName(right.callee) === 'entries');
  const declaration = loop.left.type === AST_NODE_TYPES.VariableDeclaration ? loop.left.declarations[0] : null;
  const keyName = unwrap(key);
  if (!entries || !declaration || declaration.id.type !== AST_NODE_TYPES.ArrayPattern || declaration.id.elements.length !== 2) return null;
  const [k, v] = declaration.id.elements;
  if (k?.type !== AST_NODE_TYPES.Identifier || v?.type !== AST_NODE_TYPES.Identifier || keyName.type !== AST_NODE_TYPES.Identifier) return null;
  const keyVariable = ASTUtils.findVariable(model.sourceCode.getScope(keyName), keyName);
  const variables = model.sourceCode.getDeclaredVariables(declaration);
  const valueVariable = variables.find((variable) => variable.name === v.name);
  if (!keyVariable || keyVariable !== variables.find((variable) => variable.name === k.name) || !valueVariable) return null;
  if (valueVariable.references.some((reference) => reference.isWrite() && !reference.init)) return null;
  return v.name;
}

// ---- helpers ---------------------------------------------------------------------------------------

/**
 * The map expression the rewrite calls SafeMap's method on: the write's, keeping its `!`. A write
 * through `?.` skips itself when the map is missing, which a rewritten section cannot do.
 */
function receiverOf(model: FileModel, write: Access): string | { reason: string } {
  const outer = outermost(write.ref);
  const member = outer.parent;
  if (member?.type === AST_NODE_TYPES.MemberExpression && member.optional) {
    return { reason: `'${write.map.name}' is written through ?. (it may be undefined), which the rewritten section cannot keep: make it always defined, then guard the section` };
  }
  let nonNull = false;
  for (let current: TSESTree.Node = write.ref; current !== outer; current = current.parent!) {
    const parent = current.parent!;
    if (parent.type === AST_NODE_TYPES.TSNonNullExpression) nonNull = true;
    else if (parent.type !== AST_NODE_TYPES.ChainExpression) return { reason: `'${write.map.name}' is cast where it is written: rewrite the section by hand` };
  }
  return `${model.sourceCode.getText(write.ref)}${nonNull ? '!' : ''}`;
}

/**
 * The function a getOrCompute runs: `() => load(k)` for a lone awaited value, or for
 * `const v = await load(k)` whose every use the rewrite replaces (those inside `range`); else the
 * statements (with the `more` edits) as an async body returning value.
 */
function loaderOf(
  model: FileModel,
  conversion: Conversion,
  statements: readonly TSESTree.Statement[],
  opening: number,
  value: string,
  indent: string,
  range: [number, number],
  more: readonly TextEdit[] = [],
): string {
  const { sourceCode } = model;
  if (statements.length === 0) return /^await\s/u.test(value) ? `() => ${value.replace(/^await\s+/u, '')}` : `async () => ${value}`;
  // a lone `const v = await load(k)` becomes the loader's expression, unless comments would go with it
  const only = statements.length === 1 && more.length === 0 && !commentsIn(model, [opening, statements[0]!.range[1]]) ? statements[0]! : null;
  const declarator = only?.type === AST_NODE_TYPES.VariableDeclaration && only.declarations.length === 1 ? only.declarations[0]! : null;
  if (declarator?.id.type === AST_NODE_TYPES.Identifier && !declarator.id.typeAnnotation && declarator.id.name === value && declarator.init?.type === AST_NODE_TYPES.AwaitExpression) {
    const uses = sourceCode.getDeclaredVariables(declarator)[0]?.references.filter((reference) => !reference.init) ?? [];
    if (uses.every((use) => within(use.identifier.range, range))) return `() => ${textOf(model, conversion, declarator.init.argument)}`;
  }
  const inner = `${indent}  `;
  // the statements with their comments, from the line after the opening, one level inside the callback
  const from = indentOf(sourceCode, statements[0]!);
  const text = textOf(model, conversion, [opening, statements.at(-1)!.range[1]], more).replace(/^[ \t]*\r?\n/u, '');
  const moved = `\n${text}`.replace(new RegExp(`\\n${from}`, 'gu'), `\n${inner}`);
  return `async () => {${moved}\n${inner}return ${value};\n${indent}}`;
}

/** The source of a node or range with the conversion's edits inside it (and some more) applied. */
function textOf(model: FileModel, conversion: Conversion, target: TSESTree.Node | [number, number] | undefined, more: readonly TextEdit[] = []): string {
  if (!target) return '';
  const range = Array.isArray(target) ? target : target.range;
  const edits = [...conversion.edits.filter((edit) => within(edit.range, range)), ...more].sort((a, b) => a.range[0] - b.range[0] || a.range[1] - b.range[1]);
  let text = '';
  let cursor = range[0];
  for (const edit of edits) {
    if (edit.range[0] < cursor) continue;
    text += model.sourceCode.text.slice(cursor, edit.range[0]) + edit.text;
    cursor = edit.range[1];
  }
  return text + model.sourceCode.text.slice(cursor, range[1]);
}

/** The smallest statement list holding both nodes, and the indexes of the statements that do. */
function commonStatements(a: TSESTree.Node, b: TSESTree.Node): { body: TSESTree.Statement[]; start: number; end: number } | null {
  for (let current: TSESTree.Node = a; current.parent; current = current.parent) {
    const parent = current.parent;
    if (isFunction(parent)) return null;
    const body =
      parent.type === AST_NODE_TYPES.BlockStatement || parent.type === AST_NODE_TYPES.Program
        ? (parent.body as TSESTree.Statement[])
        : parent.type === AST_NODE_TYPES.SwitchCase
          ? parent.consequent
          : null;
    if (!body || !contains(parent, b)) continue;
    const start = body.indexOf(current as TSESTree.Statement);
    const end = body.findIndex((statement) => contains(statement, b));
    return start >= 0 && end >= start ? { body, start, end } : null;
  }
  return null;
}

/** The statement of a block (or program) that contains node, and that block's body. */
function statementOf(node: TSESTree.Node): { statement: TSESTree.Statement; body: TSESTree.Statement[] } | null {
  const parent = node.parent;
  if (parent?.type === AST_NODE_TYPES.BlockStatement || parent?.type === AST_NODE_TYPES.Program) return { statement: node as TSESTree.Statement, body: parent.body as TSESTree.Statement[] };
  return null;
}

/** A section from `const v = … m.get(k) …;` to `m.set(k, …)` (same key): the declaration and its block's statements. */
function heldRead(
  model: FileModel,
  section: ReadWriteSection,
): { declared: NonNullable<ReturnType<typeof declaredBy>>; body: TSESTree.Statement[]; key: TSESTree.Node } | null {
  const { read, write } = section;
  if (read.method !== 'get' || write.method !== 'set' || !read.key || !write.key || !sameText(model.sourceCode, read.key, write.key)) return null;
  const declared = declaredBy(read);
  const place = declared && statementOf(declared.statement);
  return declared && place ? { declared, body: place.body, key: read.key } : null;
}

/** `const name = … m.get(k) …;` holding the read: its statement, the name and its variable. */
function declaredBy(read: Access): { statement: TSESTree.VariableDeclaration; name: string; variable: TSESTree.Identifier } | null {
  let current: TSESTree.Node = read.node;
  while (current.parent && current.parent.type !== AST_NODE_TYPES.VariableDeclarator) {
    if (isFunction(current.parent) || current.parent.type.endsWith('Statement')) return null;
    current = current.parent;
  }
  const declarator = current.parent;
  if (declarator?.type !== AST_NODE_TYPES.VariableDeclarator || declarator.id.type !== AST_NODE_TYPES.Identifier) return null;
  const declaration = declarator.parent;
  if (declaration?.type !== AST_NODE_TYPES.VariableDeclaration || declaration.declarations.length !== 1) return null;
  return { statement: declaration, name: declarator.id.name, variable: declarator.id };
}

/** `if (v) return v;`, `if (v !== undefined) return v;` (block or not, no else). */
function isEarlyReturnOf(statement: TSESTree.Statement, name: string): boolean {
  if (statement.type !== AST_NODE_TYPES.IfStatement || statement.alternate) return false;
  const test = unwrap(statement.test);
  const testsName =
    (test.type === AST_NODE_TYPES.Identifier && test.name === name) ||
    (test.type === AST_NODE_TYPES.BinaryExpression &&
      /^!==?$/u.test(test.operator) &&
      test.left.type === AST_NODE_TYPES.Identifier &&
      test.left.name === name &&
      ((test.right.type === AST_NODE_TYPES.Identifier && test.right.name === 'undefined') || (test.right.type === AST_NODE_TYPES.Literal && test.right.value === null)));
  if (!testsName) return false;
  const consequent = soleStatement(statement.consequent);
  return consequent.type === AST_NODE_TYPES.ReturnStatement && consequent.argument?.type === AST_NODE_TYPES.Identifier && consequent.argument.name === name;
}

/** `!v`, `v === undefined`, `v == null` (either side): true when v is absent (or falsy, for `!v`). */
function testsAbsence(test: TSESTree.Expression, name: string): boolean {
  const value = unwrap(test);
  const isName = (node: TSESTree.Node): boolean => node.type === AST_NODE_TYPES.Identifier && node.name === name;
  if (value.type === AST_NODE_TYPES.UnaryExpression) return value.operator === '!' && isName(unwrap(value.argument));
  if (value.type !== AST_NODE_TYPES.BinaryExpression || (value.operator !== '===' && value.operator !== '==')) return false;
  const isUndefined = (node: TSESTree.Node): boolean => node.type === AST_NODE_TYPES.Identifier && node.name === 'undefined';
  const isNull = (node: TSESTree.Node): boolean => node.type === AST_NODE_TYPES.Literal && node.value === null;
  const absent = (node: TSESTree.Node): boolean => isUndefined(node) || (value.operator === '==' && isNull(node));
  return (isName(value.left) && absent(value.right)) || (absent(value.left) && isName(value.right));
}

/** `v = expression;` as a statement: the assignment; otherwise null. */
function assignmentTo(statement: TSESTree.Statement, name: string): TSESTree.AssignmentExpression | null {
  if (statement.type !== AST_NODE_TYPES.ExpressionStatement) return null;
  const assignment = statement.expression;
  return assignment.type === AST_NODE_TYPES.AssignmentExpression && assignment.operator === '=' && assignment.left.type === AST_NODE_TYPES.Identifier && assignment.left.name === name
    ? assignment
    : null;
}

/** `return;` or `{ return; }`. */
function isBareReturn(statement: TSESTree.Statement): boolean {
  const only = soleStatement(statement);
  return only.type === AST_NODE_TYPES.ReturnStatement && only.argument === null;
}

function soleStatement(statement: TSESTree.Statement): TSESTree.Statement {
  return statement.type === AST_NODE_TYPES.BlockStatement && statement.body.length === 1 ? statement.body[0]! : statement;
}

function statementOfExpression(node: TSESTree.Node): TSESTree.Statement | null {
  let current = node;
  while (current.parent && (current.parent.type === AST_NODE_TYPES.AwaitExpression || current.parent.type === AST_NODE_TYPES.ChainExpression)) current = current.parent;
  return current.parent?.type === AST_NODE_TYPES.ExpressionStatement ? current.parent : null;
}

function mentions(model: FileModel, node: TSESTree.Node, identifier: TSESTree.Identifier): boolean {
  const variable = ASTUtils.findVariable(model.sourceCode.getScope(identifier), identifier);
  return variable?.references.some((reference) => contains(node, reference.identifier)) ?? false;
}

/**
 * True when the statements leave the range other than by running to its end: a return or yield
 * (of their own function; a bare `return;` is fine when nothing follows the range in the
 * function), or a break / continue whose target lies outside the range.
 */
function exitsFrom(model: FileModel, statements: readonly TSESTree.Statement[], range: [number, number], bareReturnsEnd = false): boolean {
  let exits = false;
  for (const statement of statements) {
    walkOwnBody(statement, model.sourceCode.visitorKeys, (node) => {
      if (node.type === AST_NODE_TYPES.ReturnStatement && !(bareReturnsEnd && node.argument === null)) exits = true;
      if (node.type === AST_NODE_TYPES.YieldExpression) exits = true;
      if (node.type === AST_NODE_TYPES.BreakStatement || node.type === AST_NODE_TYPES.ContinueStatement) {
        const target = jumpTarget(node);
        if (!target || !within(target.range, range)) exits = true;
      }
      return !exits;
    });
  }
  return exits;
}

/** The bare `return;` statements of the statements' own function. */
function bareReturns(model: FileModel, statements: readonly TSESTree.Statement[]): TSESTree.ReturnStatement[] {
  const found: TSESTree.ReturnStatement[] = [];
  for (const statement of statements) {
    walkOwnBody(statement, model.sourceCode.visitorKeys, (node) => {
      if (node.type === AST_NODE_TYPES.ReturnStatement && node.argument === null) found.push(node);
    });
  }
  return found;
}

/** True for the last statement of a function's body: nothing of the function runs after it. */
function endsFunction(statement: TSESTree.Statement): boolean {
  const block = statement.parent;
  return block?.type === AST_NODE_TYPES.BlockStatement && isFunction(block.parent) && block.body.at(-1) === statement;
}

/** The statement a break or continue leaves: its label's, or the innermost loop (or switch, for break). */
function jumpTarget(jump: TSESTree.BreakStatement | TSESTree.ContinueStatement): TSESTree.Node | null {
  for (let current: TSESTree.Node | undefined = jump.parent; current && !isFunction(current); current = current.parent) {
    if (jump.label) {
      if (current.type === AST_NODE_TYPES.LabeledStatement && current.label.name === jump.label.name) return current;
      continue;
    }
    switch (current.type) {
      case AST_NODE_TYPES.ForStatement:
      case AST_NODE_TYPES.ForInStatement:
      case AST_NODE_TYPES.ForOfStatement:
      case AST_NODE_TYPES.WhileStatement:
      case AST_NODE_TYPES.DoWhileStatement:
        return current;
      case AST_NODE_TYPES.SwitchStatement:
        if (jump.type === AST_NODE_TYPES.BreakStatement) return current;
        break;
      default:
    }
  }
  return null;
}

/** True when a variable the statements declare is referenced after `last`. */
function usedAfter(model: FileModel, statements: readonly TSESTree.Statement[], last: TSESTree.Node): boolean {
  for (const statement of statements) {
    if (statement.type !== AST_NODE_TYPES.VariableDeclaration && statement.type !== AST_NODE_TYPES.FunctionDeclaration && statement.type !== AST_NODE_TYPES.ClassDeclaration) continue;
    for (const variable of model.sourceCode.getDeclaredVariables(statement)) {
      if (variable.references.some((reference) => reference.identifier.range[0] > last.range[1])) return true;
    }
  }
  return false;
}

/** True when the range names the map anywhere but in the given accesses. */
function otherUses(model: FileModel, read: Access, range: [number, number], except: readonly Access[]): boolean {
  return model.resolver
    .referencesOf(read.ref)
    .some((reference) => within(reference.node.range, range) && !except.some((access) => access.ref === reference.node));
}

function isStableKey(node: TSESTree.Node): boolean {
  const value = unwrap(node);
  if (value.type === AST_NODE_TYPES.Identifier || value.type === AST_NODE_TYPES.Literal || value.type === AST_NODE_TYPES.ThisExpression) return true;
  if (value.type === AST_NODE_TYPES.TemplateLiteral) return value.expressions.every(isStableKey);
  return value.type === AST_NODE_TYPES.MemberExpression && !value.computed && isStableKey(value.object);
}

function declaredWithin(model: FileModel, key: TSESTree.Node, range: [number, number]): boolean {
  return variablesOf(model, key).some((variable) => variable.defs[0] !== undefined && within(variable.defs[0].name.range, range));
}

/** True when a variable the key names is assigned inside the range (the write's key is then another). */
function assignedWithin(model: FileModel, key: TSESTree.Node, range: [number, number]): boolean {
  return variablesOf(model, key).some((variable) => variable.references.some((reference) => reference.isWrite() && !reference.init && within(reference.identifier.range, range)));
}

/** The variables an expression names. */
function variablesOf(model: FileModel, node: TSESTree.Node): TSESLint.Scope.Variable[] {
  const variables: TSESLint.Scope.Variable[] = [];
  walkOwnBody(node, model.sourceCode.visitorKeys, (child) => {
    const variable = child.type === AST_NODE_TYPES.Identifier ? ASTUtils.findVariable(model.sourceCode.getScope(child), child) : null;
    if (variable) variables.push(variable);
  });
  return variables;
}

function freshName(sourceCode: TSESLint.SourceCode, range: [number, number], candidates: string[]): string | null {
  const text = sourceCode.text.slice(range[0], range[1]);
  return candidates.find((name) => !new RegExp(`\\b${name}\\b`, 'u').test(text)) ?? null;
}

function commentsIn(model: FileModel, range: [number, number]): boolean {
  return model.sourceCode.getAllComments().some((comment) => within(comment.range, range));
}

function within(inner: readonly [number, number], outer: readonly [number, number]): boolean {
  return outer[0] <= inner[0] && inner[1] <= outer[1];
}

function overlaps(a: readonly [number, number], b: readonly [number, number]): boolean {
  return a[0] < b[1] && b[0] < a[1];
}

function indentOf(sourceCode: TSESLint.SourceCode, node: TSESTree.Node): string {
  const lineText = sourceCode.lines[node.loc.start.line - 1] ?? '';
  return /^\s*/u.exec(lineText)![0];
}

/** Shifts the continuation lines of a statement's text one level (two spaces) right. */
function indentMore(text: string, indent: string): string {
  return text.replace(new RegExp(`\\n${indent}`, 'gu'), `\n${indent}  `);
}
