/**
 * How to rewrite a race: make the map a SafeMap (changing its construction and annotation, adding
 * the import) and turn the section into the SafeMap call that makes it atomic:
 * check-then-act → getOrCompute, read-modify-write → update, anything else → withLock, with the
 * section's accesses going through the view. A loop over the live map iterates a copy instead.
 * Where no rewrite is safe, the plan says why, and the message passes that on.
 */
import { AST_NODE_TYPES, ASTUtils, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { contains, isFunction, sameText, statementIn, unwrap, walkOwnBody } from './ast.js';
import type { Access, FileModel } from './file-model.js';
import type { MapBinding } from './maps.js';
import type { LiveLoopSection, ReadWriteSection, Section } from './sections.js';

export type FixId = 'useGetOrCompute' | 'useUpdate' | 'useWithLock' | 'iterateSnapshot';

export interface FixPlan {
  id: FixId;
  fix: (fixer: TSESLint.RuleFixer) => TSESLint.RuleFix[];
}

export type Plan = { fix: FixPlan; reason?: undefined } | { fix?: undefined; reason: string };

/** The rewrite of a section, or why there is none. */
export function planFix(model: FileModel, section: Section, runtimeModule: string): Plan {
  if (section.type === 'live-loop') return { fix: snapshotFix(model, section) };
  const conversion = safeMapConversion(model, section.read, runtimeModule);
  if ('reason' in conversion) return { reason: conversion.reason };
  const rewrite = getOrComputeRewrite(model, section) ?? updateRewrite(model, section) ?? withLockRewrite(model, section);
  if ('reason' in rewrite) return { reason: rewrite.reason };
  return {
    fix: {
      id: rewrite.id,
      fix: (fixer) => [...conversion.edits(fixer), fixer.replaceTextRange(rewrite.range, rewrite.text)],
    },
  };
}

// ---- the map becomes a SafeMap ---------------------------------------------------------------------

type Conversion = { edits: (fixer: TSESLint.RuleFixer) => TSESLint.RuleFix[] } | { reason: string };

function safeMapConversion(model: FileModel, access: Access, runtimeModule: string): Conversion {
  const map = access.map;
  if (map.kind === 'SafeMap' || map.kind === 'ShardedMap') return { edits: () => [] };
  const why = unconvertible(map);
  if (why) return { reason: why };
  const construction = map.construction!;
  const { sourceCode } = model;
  const typeArguments = construction.typeArguments ? sourceCode.getText(construction.typeArguments) : '';
  return {
    edits: (fixer) => {
      const edits: TSESLint.RuleFix[] = [];
      if (map.kind === 'GoMap') {
        edits.push(fixer.replaceText(construction, `new SafeMap${typeArguments}({ store: 'go' })`));
      } else {
        edits.push(fixer.replaceText(construction.callee, 'SafeMap'));
      }
      if (map.annotation?.type === AST_NODE_TYPES.TSTypeReference) edits.push(fixer.replaceText(map.annotation.typeName, 'SafeMap'));
      const importFix = addImport(model, fixer, runtimeModule);
      if (importFix) edits.push(importFix);
      return edits;
    },
  };
}

/** Why a map cannot become a SafeMap here, or null when it can. */
function unconvertible(map: MapBinding): string | null {
  const name = `'${map.name}'`;
  if (map.kind === 'record') return `${name} is a plain object: make it a SafeMap by hand (its property reads and writes become get and set)`;
  if (map.kind === 'WeakMap' || map.kind === 'WeakSet') return `${name} is a ${map.kind}, and SafeMap would hold its keys strongly: guard the section with a lock instead`;
  if (map.kind === 'Set') return `${name} is a Set: make it a SafeMap of keys to true, or guard the section with a lock`;
  if (map.foreign) return `${name} is ${map.scope === 'function' ? 'a parameter or an import' : 'exported'}: other modules build or hold it as a ${map.kind}, so the fix cannot change its type here`;
  if (!map.construction) return `${name} is not built in this file: change its construction to new SafeMap(…) where it is made`;
  if (map.kind === 'GoMap' && map.construction.arguments.length > 0) return `${name} is a GoMap built with arguments: build a SafeMap({ store: 'go' }) with the same entries`;
  return null;
}

function addImport(model: FileModel, fixer: TSESLint.RuleFixer, runtimeModule: string): TSESLint.RuleFix | null {
  const program = model.sourceCode.ast;
  const imports = program.body.filter((statement): statement is TSESTree.ImportDeclaration => statement.type === AST_NODE_TYPES.ImportDeclaration);
  const hasSafeMap = imports.some((declaration) =>
    declaration.specifiers.some((specifier) => specifier.local.name === 'SafeMap' && specifier.type === AST_NODE_TYPES.ImportSpecifier),
  );
  if (hasSafeMap) return null;
  const fromRuntime = imports.find((declaration) => declaration.source.value === runtimeModule && declaration.importKind !== 'type');
  const named = fromRuntime?.specifiers.filter((specifier) => specifier.type === AST_NODE_TYPES.ImportSpecifier) ?? [];
  if (fromRuntime && named.length > 0) return fixer.insertTextAfter(named.at(-1)!, ', SafeMap');
  const statement = `import { SafeMap } from '${runtimeModule}';`;
  if (imports.length > 0) return fixer.insertTextAfter(imports.at(-1)!, `\n${statement}`);
  if (program.sourceType !== 'module') return fixer.insertTextBeforeRange([0, 0], `const { SafeMap } = require('${runtimeModule}');\n`);
  const first = program.body[0];
  return first ? fixer.insertTextBefore(first, `${statement}\n\n`) : fixer.insertTextBeforeRange([0, 0], `${statement}\n`);
}

// ---- the section becomes a SafeMap call ------------------------------------------------------------

type Rewrite = { id: FixId; range: [number, number]; text: string } | { reason: string };

/**
 * `const v = m.get(k); if (v) return v; …; m.set(k, value); return value;` →
 * `return await m.getOrCompute(k, async () => { …; return value; });`
 */
function getOrComputeRewrite(model: FileModel, section: ReadWriteSection): Rewrite | null {
  const { read, write } = section;
  if (read.method !== 'get' || write.method !== 'set' || !read.key || !write.key) return null;
  const { sourceCode } = model;
  const declared = declaredBy(read);
  const place = declared && statementIn(declared.statement);
  if (!declared || !place) return null;
  const { body } = place;
  const start = body.indexOf(declared.statement);
  const check = body[start + 1];
  if (!check || !isEarlyReturnOf(check, declared.name)) return null;
  const writeStatement = statementOfExpression(write.node);
  const end = writeStatement ? body.indexOf(writeStatement) : -1;
  if (end <= start + 1 || !sameText(sourceCode, read.key, write.key)) return null;
  const value = (write.node as TSESTree.CallExpression).arguments[1];
  if (!value) return null;
  const between = body.slice(start + 2, end);
  if (between.some((statement) => mentions(model, statement, declared.variable) || hasOwnExit(model, statement))) return null;
  const after = body[end + 1];
  const returnsValue = after?.type === AST_NODE_TYPES.ReturnStatement && after.argument && sameText(sourceCode, after.argument, value);
  const last = returnsValue ? after : writeStatement!;
  if (!returnsValue && usedAfter(model, between, last)) return null;
  const indent = indentOf(sourceCode, declared.statement);
  // the statements between the check and the write, with their comments, one level deeper
  const middle = between.length > 0 ? sourceCode.text.slice(check.range[1], writeStatement!.range[0]).replace(/^\s*\n/u, '\n').trimEnd() : '';
  const loader = `${indentMore(middle, indent)}\n${indent}  return ${sourceCode.getText(value)};`;
  const call = `${sourceCode.getText(read.ref)}.getOrCompute(${sourceCode.getText(read.key)}, async () => {${loader}\n${indent}})`;
  return { id: 'useGetOrCompute', range: [declared.statement.range[0], last.range[1]], text: returnsValue ? `return await ${call};` : `await ${call};` };
}

/** `const v = f(m.get(k)); …; m.set(k, g(v));` → `await m.update(k, async (old) => { const v = f(old); …; return g(v); });` */
function updateRewrite(model: FileModel, section: ReadWriteSection): Rewrite | null {
  const { read, write } = section;
  if (read.method !== 'get' || write.method !== 'set' || !read.key || !write.key) return null;
  const { sourceCode } = model;
  if (!sameText(sourceCode, read.key, write.key)) return null;
  const declared = declaredBy(read);
  const place = declared && statementIn(declared.statement);
  const writeStatement = statementOfExpression(write.node);
  if (!declared || !place || !writeStatement) return null;
  const { body } = place;
  const start = body.indexOf(declared.statement);
  const end = body.indexOf(writeStatement);
  if (end <= start) return null;
  const moved = body.slice(start, end);
  if (moved.some((statement) => hasOwnExit(model, statement)) || usedAfter(model, moved, writeStatement)) return null;
  if (otherAccesses(model, read, [declared.statement.range[0], writeStatement.range[1]], [read, write]).length > 0) return null;
  const value = (write.node as TSESTree.CallExpression).arguments[1];
  if (!value) return null;
  const old = freshName(sourceCode, [declared.statement.range[0], writeStatement.range[1]], ['old', 'previous', 'current']);
  if (!old) return null;
  const indent = indentOf(sourceCode, declared.statement);
  const first = replaceRange(sourceCode, declared.statement, read.node, old);
  // the statements up to the write, with their comments, one level deeper
  const middle = sourceCode.text.slice(declared.statement.range[1], writeStatement.range[0]).trimEnd();
  const text = `await ${sourceCode.getText(read.ref)}.update(${sourceCode.getText(read.key)}, async (${old}) => {\n${indent}  ${indentMore(
    first + middle,
    indent,
  )}\n${indent}  return ${sourceCode.getText(value)};\n${indent}});`;
  return { id: 'useUpdate', range: [declared.statement.range[0], writeStatement.range[1]], text };
}

/** The statements from the read to the write, in `await m.withLock(keys, async (view) => { … })`. */
function withLockRewrite(model: FileModel, section: ReadWriteSection): Rewrite {
  const { read, write } = section;
  const { sourceCode } = model;
  const readPlace = statementIn(read.node);
  const writePlace = statementIn(write.node);
  if (!readPlace || !writePlace || readPlace.body !== writePlace.body) {
    return { reason: 'the read and the write are in different blocks: wrap the section in withLock by hand' };
  }
  const { body } = readPlace;
  const start = body.indexOf(readPlace.statement);
  const end = body.indexOf(writePlace.statement);
  const moved = body.slice(start, end + 1);
  const range: [number, number] = [moved[0]!.range[0], moved.at(-1)!.range[1]];
  if (moved.some((statement) => hasOwnExit(model, statement))) return { reason: 'the section returns or jumps out of its block: wrap it in withLock by hand' };
  if (usedAfter(model, moved, moved.at(-1)!)) return { reason: 'the section declares variables used after it: wrap it in withLock by hand' };
  const accesses = model.accesses.filter((access) => access.identity === read.identity && contains({ range } as TSESTree.Node, access.ref));
  if (accesses.some((access) => access.owner !== read.owner)) return { reason: 'a function inside the section uses the map: wrap it in withLock by hand' };
  const keys: TSESTree.Node[] = [];
  let whole = false;
  for (const access of accesses) {
    if (!access.key) whole = true;
    else if (!keys.some((key) => sameText(sourceCode, key, access.key!))) keys.push(access.key);
  }
  for (const key of keys) {
    if (!isStableKey(key) || declaredWithin(model, key, range)) return { reason: `the key ${sourceCode.getText(key)} is computed inside the section: lock it by hand` };
  }
  const view = freshName(sourceCode, range, ['view', 'locked', 'entries']);
  if (!view) return { reason: 'no free name for the view' };
  const scope = whole ? 'null' : keys.length === 1 ? sourceCode.getText(keys[0]!) : `[${keys.map((key) => sourceCode.getText(key)).join(', ')}]`;
  // the section's text with each reference to the map replaced by the view
  let text = '';
  let cursor = range[0];
  for (const access of [...accesses].sort((a, b) => a.ref.range[0] - b.ref.range[0])) {
    text += sourceCode.text.slice(cursor, access.ref.range[0]) + view;
    cursor = access.ref.range[1];
  }
  text += sourceCode.text.slice(cursor, range[1]);
  const indent = indentOf(sourceCode, moved[0]!);
  return {
    id: 'useWithLock',
    range,
    text: `await ${sourceCode.getText(read.ref)}.withLock(${scope}, async (${view}) => {\n${indent}  ${indentMore(text, indent)}\n${indent}});`,
  };
}

// ---- a loop over the live map iterates a copy ------------------------------------------------------

function snapshotFix(model: FileModel, section: LiveLoopSection): FixPlan {
  const loop = section.loop.node as TSESTree.ForOfStatement;
  const right = model.sourceCode.getText(loop.right);
  return { id: 'iterateSnapshot', fix: (fixer) => [fixer.replaceText(loop.right, `[...${right}]`)] };
}

// ---- helpers ---------------------------------------------------------------------------------------

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
  const consequent = statement.consequent.type === AST_NODE_TYPES.BlockStatement && statement.consequent.body.length === 1 ? statement.consequent.body[0]! : statement.consequent;
  return consequent.type === AST_NODE_TYPES.ReturnStatement && consequent.argument?.type === AST_NODE_TYPES.Identifier && consequent.argument.name === name;
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

/** True when the statement returns, breaks or continues out of its own function's flow. */
function hasOwnExit(model: FileModel, statement: TSESTree.Statement): boolean {
  let exits = false;
  walkOwnBody(statement, model.sourceCode.visitorKeys, (node) => {
    if (node.type === AST_NODE_TYPES.ReturnStatement || node.type === AST_NODE_TYPES.BreakStatement || node.type === AST_NODE_TYPES.ContinueStatement || node.type === AST_NODE_TYPES.YieldExpression) {
      exits = true;
    }
    return !exits;
  });
  return exits;
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

function otherAccesses(model: FileModel, read: Access, range: [number, number], except: Access[]): Access[] {
  return model.accesses.filter((access) => access.identity === read.identity && !except.includes(access) && access.ref.range[0] >= range[0] && access.ref.range[1] <= range[1]);
}

function isStableKey(node: TSESTree.Node): boolean {
  const value = unwrap(node);
  if (value.type === AST_NODE_TYPES.Identifier || value.type === AST_NODE_TYPES.Literal || value.type === AST_NODE_TYPES.ThisExpression) return true;
  if (value.type === AST_NODE_TYPES.TemplateLiteral) return value.expressions.every(isStableKey);
  return value.type === AST_NODE_TYPES.MemberExpression && !value.computed && isStableKey(value.object);
}

function declaredWithin(model: FileModel, key: TSESTree.Node, range: [number, number]): boolean {
  let inside = false;
  const check = (node: TSESTree.Node): void => {
    if (node.type === AST_NODE_TYPES.Identifier) {
      const definition = ASTUtils.findVariable(model.sourceCode.getScope(node), node)?.defs[0];
      if (definition && definition.name.range[0] >= range[0] && definition.name.range[1] <= range[1]) inside = true;
    }
  };
  walkOwnBody(key, model.sourceCode.visitorKeys, (node) => void check(node));
  return inside;
}

function freshName(sourceCode: TSESLint.SourceCode, range: [number, number], candidates: string[]): string | null {
  const text = sourceCode.text.slice(range[0], range[1]);
  return candidates.find((name) => !new RegExp(`\\b${name}\\b`, 'u').test(text)) ?? null;
}

function replaceRange(sourceCode: TSESLint.SourceCode, outer: TSESTree.Node, inner: TSESTree.Node, replacement: string): string {
  return sourceCode.text.slice(outer.range[0], inner.range[0]) + replacement + sourceCode.text.slice(inner.range[1], outer.range[1]);
}

function indentOf(sourceCode: TSESLint.SourceCode, node: TSESTree.Node): string {
  const lineText = sourceCode.lines[node.loc.start.line - 1] ?? '';
  return /^\s*/u.exec(lineText)![0];
}

/** Shifts the continuation lines of a statement's text one level (two spaces) right. */
function indentMore(text: string, indent: string): string {
  return text.replace(new RegExp(`\\n${indent}`, 'gu'), `\n${indent}  `);
}
