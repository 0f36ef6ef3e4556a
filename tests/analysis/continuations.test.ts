/**
 * Which calls are continuations — their callbacks run after the caller has yielded — and how a
 * message names their gap.
 */
import { parseForESLint } from '@typescript-eslint/parser';
import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import { describe, expect, it } from 'vitest';
import { continuationCallbacks, continuationGap } from '../../lib/analysis/continuations.js';

/** The outermost call of one expression statement. */
function callOf(code: string): TSESTree.CallExpression {
  const { ast } = parseForESLint(code, { range: true, loc: true, sourceType: 'module' });
  const statement = ast.body[0];
  if (statement?.type !== AST_NODE_TYPES.ExpressionStatement || statement.expression.type !== AST_NODE_TYPES.CallExpression) {
    throw new Error(`not a call statement: ${code}`);
  }
  return statement.expression as TSESTree.CallExpression;
}

describe('continuations', () => {
  it.each([
    ['load(key).then((value) => cache.set(key, value))', 'a .then callback', 1],
    ['load(key).then((value) => value, (error) => fallback(error))', 'a .then callback', 2],
    ['load(key).catch(() => 0)', 'a .catch callback', 1],
    ['load(key).finally(() => done())', 'a .finally callback', 1],
    ['fs.readFile(path, (err, data) => use(data))', 'a callback', 1],
    ['pipeline(source, sink, (error) => report(error))', 'a callback', 1],
    ['client.get(key, (e, reply) => use(reply))', 'a callback', 1],
  ])('%s: %s', (code, word, callbacks) => {
    const call = callOf(code);
    expect(continuationGap(call)?.word).toBe(word);
    expect(continuationCallbacks(call)).toHaveLength(callbacks);
  });

  it.each([
    // event handlers and timers run as tasks of their own
    "emitter.on('error', (err) => log(err))",
    "socket.once('error', (error) => log(error))",
    'process.nextTick((err) => log(err))',
    // array methods run their callback at once
    'items.forEach((e) => use(e))',
    'items.map((e) => e.id)',
    // a React hook's callback is no completion callback
    'useEvent((e) => handle(e))',
    // the first parameter is not an error
    "app.get('/users', (req, res) => res.send(users))",
    'fs.readFile(path, () => done())',
    // the callback is not the last argument
    'fs.readFile((err) => log(err), path)',
  ])('%s: no continuation', (code) => {
    const call = callOf(code);
    expect(continuationCallbacks(call)).toEqual([]);
    expect(continuationGap(call)).toBeNull();
  });
});
