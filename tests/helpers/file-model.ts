/**
 * A FileModel of a snippet, built the way ESLint would build it (parsed by typescript-eslint,
 * parents linked), for the tests that call the analysis directly.
 */
import { parseForESLint } from '@typescript-eslint/parser';
import type { TSESLint, TSESTree } from '@typescript-eslint/utils';
import { SourceCode } from 'eslint';
import { FileModel } from '../../lib/analysis/file-model.js';

export function modelOf(code: string, safeTypes: string[] = []): FileModel {
  const { ast, scopeManager, visitorKeys, services } = parseForESLint(code, { range: true, loc: true, tokens: true, comment: true, sourceType: 'module' });
  // ESLint links each node to its parent while it traverses; the model relies on those links
  const link = (node: TSESTree.Node, parent: TSESTree.Node | undefined): void => {
    (node as { parent?: TSESTree.Node }).parent = parent;
    for (const key of visitorKeys[node.type] ?? []) {
      const child = (node as unknown as Record<string, unknown>)[key];
      for (const item of Array.isArray(child) ? child : [child]) {
        if (item && typeof item === 'object' && 'type' in item) link(item as TSESTree.Node, node);
      }
    }
  };
  link(ast as TSESTree.Node, undefined);
  const sourceCode = new SourceCode({ text: code, ast: ast as never, scopeManager: scopeManager as never, visitorKeys: visitorKeys as never, parserServices: services });
  return new FileModel(sourceCode as unknown as TSESLint.SourceCode, new Set(safeTypes));
}
