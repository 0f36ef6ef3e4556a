import { ESLintUtils } from '@typescript-eslint/utils';

/** What every maprace rule states about itself in `meta.docs`, beyond ESLint's own fields. */
export interface MapraceRuleDocs {
  /** The lowest config that enables the rule: `recommended` ⊂ `strict`. */
  recommended: 'recommended' | 'strict';
  /** True when the rule needs type information and has no syntactic fallback. */
  requiresTypeChecking?: boolean;
}

export const docsUrl = (name: string): string =>
  `https://github.com/maprace/eslint-plugin-maprace/blob/main/docs/rules/${name}.md`;

/** The one RuleCreator every rule is made with; it fills `meta.docs.url`. */
export const createRule = ESLintUtils.RuleCreator<MapraceRuleDocs>(docsUrl);
