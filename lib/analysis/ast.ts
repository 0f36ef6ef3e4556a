/**
 * AST helpers the analysis shares: walking a function's own body (not the functions nested in
 * it), finding enclosing nodes, and comparing expressions by their text.
 */
import { AST_NODE_TYPES, type TSESLint, type TSESTree } from '@typescript-eslint/utils';

export type FunctionNode =
  | TSESTree.FunctionDeclaration
  | TSESTree.FunctionExpression
  | TSESTree.ArrowFunctionExpression;

export type ClassNode = TSESTree.ClassDeclaration | TSESTree.ClassExpression;

export function isFunction(node: TSESTree.Node | null | undefined): node is FunctionNode {
  return (
    node?.type === AST_NODE_TYPES.FunctionDeclaration ||
    node?.type === AST_NODE_TYPES.FunctionExpression ||
    node?.type === AST_NODE_TYPES.ArrowFunctionExpression
  );
}

/**
 * Calls visit on every node under root in source order, without entering nested functions or
 * classes (they run at another time); visit returns false to skip a node's children.
 */
export function walkOwnBody(
  root: TSESTree.Node,
  visitorKeys: TSESLint.SourceCode.VisitorKeys,
  visit: (node: TSESTree.Node) => boolean | void,
): void {
  const walk = (node: TSESTree.Node): void => {
    if (visit(node) === false) return;
    for (const key of visitorKeys[node.type] ?? []) {
      const child = (node as unknown as Record<string, unknown>)[key];
      if (Array.isArray(child)) {
        for (const item of child) if (isNode(item) && !startsOwnScope(item)) walk(item);
      } else if (isNode(child) && !startsOwnScope(child)) walk(child);
    }
  };
  if (isFunction(root)) walk(root.body);
  else walk(root);
}

/** Calls visit on every node under root, nested functions and classes included. */
export function walkAll(root: TSESTree.Node, visitorKeys: TSESLint.SourceCode.VisitorKeys, visit: (node: TSESTree.Node) => void): void {
  const stack: TSESTree.Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    visit(node);
    for (const key of visitorKeys[node.type] ?? []) {
      const child = (node as unknown as Record<string, unknown>)[key];
      if (Array.isArray(child)) {
        for (const item of child) if (isNode(item)) stack.push(item);
      } else if (isNode(child)) stack.push(child);
    }
  }
}

function isNode(value: unknown): value is TSESTree.Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

function startsOwnScope(node: TSESTree.Node): boolean {
  return isFunction(node) || node.type === AST_NODE_TYPES.ClassDeclaration || node.type === AST_NODE_TYPES.ClassExpression;
}

/** The innermost function containing node (itself excluded), or null at module level. */
export function enclosingFunction(node: TSESTree.Node): FunctionNode | null {
  for (let current = node.parent; current; current = current.parent) if (isFunction(current)) return current;
  return null;
}

/**
 * A constructor filling its own instance through `this` (`ref` is the written `this.x`, `owner`
 * its enclosing function): it runs before any task of that instance can start.
 */
export function isConstructorThisWrite(ref: TSESTree.Node, owner: FunctionNode | null): boolean {
  return (
    ref.type === AST_NODE_TYPES.MemberExpression &&
    ref.object.type === AST_NODE_TYPES.ThisExpression &&
    owner?.parent?.type === AST_NODE_TYPES.MethodDefinition &&
    owner.parent.kind === 'constructor'
  );
}

/** The innermost class containing node, or null. */
export function enclosingClass(node: TSESTree.Node): ClassNode | null {
  for (let current = node.parent; current; current = current.parent) {
    if (current.type === AST_NODE_TYPES.ClassDeclaration || current.type === AST_NODE_TYPES.ClassExpression) return current;
  }
  return null;
}

/** True when inner lies within outer's range. */
export function contains(outer: TSESTree.Node, inner: TSESTree.Node): boolean {
  return outer.range[0] <= inner.range[0] && inner.range[1] <= outer.range[1];
}

/** The name a callee is called by: `f`, `obj.f`, `this.f`, `a.b.f` (null when computed). */
export function calleeText(callee: TSESTree.Node): string | null {
  if (callee.type === AST_NODE_TYPES.Identifier) return callee.name;
  if (callee.type === AST_NODE_TYPES.ThisExpression) return 'this';
  if (callee.type === AST_NODE_TYPES.MemberExpression && !callee.computed && callee.property.type === AST_NODE_TYPES.Identifier) {
    const object = calleeText(callee.object);
    return object === null ? null : `${object}.${callee.property.name}`;
  }
  if (callee.type === AST_NODE_TYPES.ChainExpression) return calleeText(callee.expression);
  if (callee.type === AST_NODE_TYPES.TSNonNullExpression) return calleeText(callee.expression);
  return null;
}

/** The property name of a non-computed member access (or a string-literal computed one). */
export function propertyName(node: TSESTree.MemberExpression): string | null {
  if (!node.computed && node.property.type === AST_NODE_TYPES.Identifier) return node.property.name;
  if (node.computed && node.property.type === AST_NODE_TYPES.Literal && typeof node.property.value === 'string') {
    return node.property.value;
  }
  return null;
}

/** Strips `x!`, `(x as T)`, `x satisfies T` and optional chains down to the expression. */
export function unwrap(node: TSESTree.Node): TSESTree.Node {
  let current = node;
  for (;;) {
    if (
      current.type === AST_NODE_TYPES.TSNonNullExpression ||
      current.type === AST_NODE_TYPES.TSAsExpression ||
      current.type === AST_NODE_TYPES.TSSatisfiesExpression ||
      current.type === AST_NODE_TYPES.ChainExpression
    ) {
      current = current.expression;
    } else return current;
  }
}

/** The node whose parent is not a wrapper that unwrap() would strip. */
export function outermost(node: TSESTree.Node): TSESTree.Node {
  let current = node;
  while (
    current.parent &&
    (current.parent.type === AST_NODE_TYPES.TSNonNullExpression ||
      current.parent.type === AST_NODE_TYPES.TSAsExpression ||
      current.parent.type === AST_NODE_TYPES.TSSatisfiesExpression ||
      current.parent.type === AST_NODE_TYPES.ChainExpression)
  ) {
    current = current.parent;
  }
  return current;
}

/** True when the two expressions read the same: same text with whitespace ignored. */
export function sameText(sourceCode: TSESLint.SourceCode, a: TSESTree.Node, b: TSESTree.Node): boolean {
  return sourceCode.getText(a).replace(/\s+/gu, '') === sourceCode.getText(b).replace(/\s+/gu, '');
}
