// The bucket pictures, drawn from states recorded from the real Go 1.19 runtime (no GoMap involved).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GoMapChain, GoMapDebugState } from '../../lib/runtime/go-map.js';
import { renderGoMapStates, renderGoMapStateSvg } from '../../lib/runtime/viz.js';
import { readGoldenTrace } from '../helpers/golden.js';
import { repoRoot, run } from '../helpers/run.js';

interface Trace {
  ops: { op: string; key?: number; state?: GoMapDebugState<number> }[];
}

/** The `state` recorded with op `index` of a golden trace. */
function goldenState(file: string, index: number): GoMapDebugState<number> {
  const state = readGoldenTrace<Trace>(file).ops[index]?.state;
  if (!state) throw new Error(`${file}: op ${index} carries no state`);
  return state;
}

/** How many times `needle` occurs in `haystack`. */
function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

const overflowBuckets = (chains: GoMapChain<unknown>[] | null) =>
  (chains ?? []).reduce((sum, chain) => sum + chain.length - 1, 0);

// random-mix op 47: the insert that starts the grow from 4 to 8 buckets. Old bucket 0 is evacuated
// in order (nevacuate = 1) and old bucket 2 early, by the insert itself; both arrays have an
// overflow bucket. Op 49 (a delete) finishes the grow.
const midGrow = goldenState('random-mix.json.gz', 47);
const afterGrow = goldenState('random-mix.json.gz', 49);

describe('renderGoMapStates', () => {
  const frames = [
    { caption: 'random-mix op 47: set 2696 starts a grow, 4 -> 8 buckets', state: midGrow },
    { caption: 'random-mix op 49: delete 5450 finishes it', state: afterGrow },
  ];
  const html = renderGoMapStates(frames);

  it('draws the states as before', async () => {
    await expect(html).toMatchFileSnapshot('./__snapshots__/viz.test.html');
  });

  it('is one self-contained, deterministic HTML document', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(occurrences(html, '<html')).toBe(1);
    expect(html).not.toMatch(/<script|\bhref=|\bsrc=|url\(/u);
    expect(occurrences(html, '<svg ')).toBe(2);
    expect(renderGoMapStates(structuredClone(frames))).toBe(html);
  });

  it('draws one row per bucket, old and new side by side while growing', () => {
    const svg = renderGoMapStateSvg(midGrow, 'mid-grow');
    expect(midGrow.oldbuckets).toHaveLength(4);
    expect(occurrences(svg, 'class="bucket-row" data-array="oldbuckets"')).toBe(4);
    expect(occurrences(svg, 'class="bucket-row" data-array="buckets"')).toBe(8);
    expect(occurrences(renderGoMapStateSvg(afterGrow, 'after'), 'class="bucket-row"')).toBe(8);
  });

  it('chains each overflow bucket to the right with an arrow', () => {
    const svg = renderGoMapStateSvg(midGrow, 'mid-grow');
    const links = overflowBuckets(midGrow.buckets) + overflowBuckets(midGrow.oldbuckets);
    expect(links).toBe(2);
    expect(occurrences(svg, 'class="overflow-link"')).toBe(links);
    expect(occurrences(svg, 'class="bucket overflow-bucket"')).toBe(links);
  });

  it('marks the evacuation front while growing, and only then', () => {
    const growing = renderGoMapStateSvg(midGrow, 'mid-grow');
    expect(occurrences(growing, 'class="evacuation-front"')).toBe(1);
    expect(growing).toContain('nevacuate = 1</text>');
    expect(renderGoMapStateSvg(afterGrow, 'after')).not.toContain('evacuation-front');
  });

  it('gives every cell the kind its tophash says', () => {
    // random-mix op 214: mid-grow to 32 buckets, with deleted (emptyOne) cells in the old array.
    const state = goldenState('random-mix.json.gz', 214);
    const svg = renderGoMapStateSvg(state, 'op 214');
    const tophashes = [...(state.buckets ?? []), ...(state.oldbuckets ?? [])].flat().flatMap((bucket) => bucket.tophash);
    const kinds = ['emptyRest', 'emptyOne', 'evacuatedX', 'evacuatedY', 'evacuatedEmpty'];
    kinds.forEach((kind, tophash) => {
      expect(occurrences(svg, `class="cell cell-${kind}"`), kind).toBe(tophashes.filter((t) => t === tophash).length);
    });
    expect(occurrences(svg, 'class="cell cell-emptyOne"')).toBeGreaterThan(0);
    expect(occurrences(svg, 'class="cell cell-live"')).toBe(state.count);
  });

  it('shows a live cell\'s tophash in hex and its key', () => {
    const svg = renderGoMapStateSvg(afterGrow, 'after');
    const bucket = afterGrow.buckets![0]![0]!;
    expect(svg).toContain(`>0x${bucket.tophash[0]!.toString(16).padStart(2, '0')}</text>`);
    expect(svg).toContain(`>${bucket.keys[0]}</text>`);
  });

  it('names the flags and the kind of grow in the header', () => {
    // churn-same-size-grow op 49506: a range loop's own writes started a same-size grow.
    const svg = renderGoMapStateSvg(goldenState('churn-same-size-grow.json.gz', 49506), 'same-size');
    expect(svg).toContain('flags 10 (oldIterator|sameSizeGrow)');
    expect(svg).toContain('growing yes, same size (128 buckets)');
    expect(svg).toContain('oldbuckets: 128 buckets');
    expect(renderGoMapStateSvg(afterGrow, 'after')).toContain('flags 0 (none)');
  });

  it('escapes keys, captions and titles', () => {
    const state: GoMapDebugState<string> = {
      count: 1,
      flags: 0,
      B: 0,
      noverflow: 0,
      nevacuate: 0,
      growing: false,
      buckets: [[{ tophash: [0x9c, 0, 0, 0, 0, 0, 0, 0], keys: ['<b>&', null, null, null, null, null, null, null] }]],
      oldbuckets: null,
    };
    const page = renderGoMapStates([{ caption: 'a "<map>" & more', state }], { title: 'Tom & <Jerry>' });
    expect(page).toContain('>&lt;b&gt;&amp;</text>');
    expect(page).toContain('key &lt;b&gt;&amp;</title>');
    expect(page).toContain('a &quot;&lt;map&gt;&quot; &amp; more');
    expect(page).toContain('<title>Tom &amp; &lt;Jerry&gt;</title>');
    expect(page).not.toContain('<b>');
    expect(page).not.toContain('<map>');
  });

  it('says when no bucket array has been allocated yet', () => {
    const empty: GoMapDebugState = { count: 0, flags: 0, B: 0, noverflow: 0, nevacuate: 0, growing: false, buckets: null, oldbuckets: null };
    const svg = renderGoMapStateSvg(empty, 'new GoMap()');
    expect(svg).toContain('buckets: nil');
    expect(svg).not.toContain('bucket-row');
  });

  it('cuts long keys to fit their cell and keeps them whole in the tooltip', () => {
    const key = 'a-rather-long-key';
    const state: GoMapDebugState<string> = {
      count: 1,
      flags: 0,
      B: 0,
      noverflow: 0,
      nevacuate: 0,
      growing: false,
      buckets: [[{ tophash: [0x21, 0, 0, 0, 0, 0, 0, 0], keys: [key, null, null, null, null, null, null, null] }]],
      oldbuckets: null,
    };
    const svg = renderGoMapStateSvg(state, 'long key', { formatKey: (k) => k.toUpperCase() });
    expect(svg).toContain('>A-RA…</text>');
    expect(svg).toContain(`key ${key.toUpperCase()}</title>`);
  });
});

describe('npm run viz (scripts/viz.js)', () => {
  const script = path.join(repoRoot, 'scripts/viz.js');
  const out = mkdtempSync(path.join(tmpdir(), 'viz-'));

  it('draws the pictures docs/runtime.md shows, byte for byte', () => {
    const html = path.join(out, 'gomap.html');
    const svg = path.join(out, 'gomap-grow.svg');
    const result = run(process.execPath, [script, '--out', html, '--svg', svg], { cwd: repoRoot });
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(html, 'utf8')).toBe(readFileSync(path.join(repoRoot, 'docs/img/gomap.html'), 'utf8'));
    expect(readFileSync(svg, 'utf8')).toBe(readFileSync(path.join(repoRoot, 'docs/img/gomap-grow.svg'), 'utf8'));
    // Before, during and after the grow from 4 to 8 buckets: the old and new arrays side by side.
    expect(readFileSync(html, 'utf8')).toContain('nevacuate');
  });

  it('replays a script of its own and draws a frame after each op it names', async () => {
    const file = path.join(out, 'script.json');
    writeFileSync(file, JSON.stringify({ ops: [{ op: 'set', key: 1 }, { op: 'set', key: 2 }, { op: 'delete', key: 1 }], frames: [1, { after: 2, caption: 'after delete 1' }] }));
    const html = path.join(out, 'script.html');
    const result = run(process.execPath, [script, '--script', file, '--out', html], { cwd: repoRoot });
    expect(result.status, result.stderr).toBe(0);
    const text = readFileSync(html, 'utf8');
    expect(text).toContain('after delete 1');
    await expect(text).toMatchFileSnapshot('./__snapshots__/viz.script.html');
  });
});
