/**
 * Pictures of GoMap's memory layout: the header, the bucket array as rows of 8 tophash cells,
 * overflow buckets chained to the right, and, while the map grows, the old and new arrays side by
 * side with the evacuation front (`nevacuate`) drawn across the old one.
 *
 * The input is `GoMap.debug()`'s state, which has the shape of the Go 1.19 golden traces' `state`,
 * so the same renderer draws a GoMap and a dump of Go's own runtime. The output is plain SVG
 * inside one HTML document: no scripts, no external assets, and nothing that changes between runs,
 * so that it can be snapshot-tested and committed.
 */

import type { GoMapCell, GoMapChain, GoMapDebugState, GoMapHeader } from './go-map.js';

/** One picture: a caption and the state it shows. */
export interface GoMapFrame<K = unknown> {
  caption: string;
  state: GoMapDebugState<K>;
}

/** Options of {@link renderGoMapStates} and {@link renderGoMapStateSvg}. */
export interface GoMapVizOptions<K = unknown> {
  /** The document's title and heading. Default: `"GoMap bucket layout"`. */
  title?: string;
  /**
   * How a key is written in its cell (cut to fit, whole in the tooltip). Default: strings as they
   * are, bigints with their `n`, anything else through `String`.
   */
  formatKey?: (key: K) => string;
}

// ---- what a tophash byte means ---------------------------------------------------------------

type CellKind = 'live' | 'emptyRest' | 'emptyOne' | 'evacuatedX' | 'evacuatedY' | 'evacuatedEmpty';

// Go's reserved tophash values 0..4, in order; a live cell's tophash is at least 5 (minTopHash).
const markKinds: readonly CellKind[] = ['emptyRest', 'emptyOne', 'evacuatedX', 'evacuatedY', 'evacuatedEmpty'];

function cellKind(tophash: number): CellKind {
  return markKinds[tophash] ?? 'live';
}

interface KindStyle {
  fill: string;
  stroke: string;
  /** Text in the cell (live cells show their tophash and key instead). */
  mark: string;
  legend: string;
}

// Colours that stay apart for the common colour-vision deficiencies; the marks keep the kinds
// apart in greyscale too.
const kindStyles: Record<CellKind, KindStyle> = {
  live: { fill: '#cfe3f7', stroke: '#3a6ea5', mark: '', legend: 'live: tophash (hex) and key' },
  emptyOne: { fill: '#fde3b5', stroke: '#c07f12', mark: 'del', legend: 'emptyOne: deleted' },
  emptyRest: { fill: '#f4f4f4', stroke: '#cccccc', mark: '', legend: 'emptyRest: empty to chain end' },
  evacuatedX: { fill: '#d6efd0', stroke: '#4d9a44', mark: 'X', legend: 'evacuatedX: moved to new bucket i' },
  evacuatedY: { fill: '#e6dcf3', stroke: '#7b5ea7', mark: 'Y', legend: 'evacuatedY: moved to new bucket i+2^oldB' },
  evacuatedEmpty: { fill: '#e2e2e2', stroke: '#8a8a8a', mark: '-', legend: 'evacuatedEmpty: was empty' },
};

const legendOrder: readonly CellKind[] = ['live', 'emptyOne', 'emptyRest', 'evacuatedX', 'evacuatedY', 'evacuatedEmpty'];

const sameSizeGrow = 8;
const flagNames: readonly [bit: number, name: string][] = [
  [1, 'iterator'],
  [2, 'oldIterator'],
  [4, 'hashWriting'],
  [sameSizeGrow, 'sameSizeGrow'],
];

/** `3` becomes `"iterator|oldIterator"`; `0` becomes `"none"`. */
function describeFlags(flags: number): string {
  const names = flagNames.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
  return names.length === 0 ? 'none' : names.join('|');
}

function hex2(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}

function formatKeyDefault(key: unknown): string {
  if (typeof key === 'bigint') return `${key}n`;
  return String(key);
}

// ---- geometry ---------------------------------------------------------------------------------

const fontFamily = "ui-monospace, Menlo, Consolas, 'DejaVu Sans Mono', monospace";
// Monospace glyphs are about 0.6em wide; used to size boxes around text.
const charWidth = (fontSize: number): number => fontSize * 0.6;

const margin = 16;
const cellWidth = 36;
const cellHeight = 34;
const slotsPerBucket = 8;
const bucketWidth = cellWidth * slotsPerBucket;
const chainGap = 24; // room for the arrow to an overflow bucket
const rowGap = 8;
const rowHeight = cellHeight + rowGap;
const indexWidth = 32; // the bucket number left of each row
const columnGap = 150; // between old and new arrays; holds the evacuation front's label
const keyChars = Math.floor((cellWidth - 4) / charWidth(10));

function chainWidth(length: number): number {
  return length * bucketWidth + (length - 1) * chainGap;
}

function longestChain(chains: readonly GoMapChain<unknown>[]): number {
  return chains.reduce((longest, chain) => Math.max(longest, chain.length), 1);
}

// ---- text -------------------------------------------------------------------------------------

/** Escapes text for SVG/HTML content and double-quoted attribute values. */
function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Cuts text to `max` characters, marking the cut with an ellipsis. */
function fit(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

interface TextStyle {
  size: number;
  anchor?: 'start' | 'middle' | 'end';
  weight?: 'bold';
  fill?: string;
  className?: string;
}

function text(x: number, y: number, content: string, style: TextStyle): string {
  const attributes = [
    `x="${x}"`,
    `y="${y}"`,
    `font-size="${style.size}"`,
    style.anchor && style.anchor !== 'start' ? `text-anchor="${style.anchor}"` : '',
    style.weight ? `font-weight="${style.weight}"` : '',
    `fill="${style.fill ?? '#222222'}"`,
    style.className ? `class="${style.className}"` : '',
  ].filter(Boolean);
  return `<text ${attributes.join(' ')}>${escapeXml(content)}</text>`;
}

// ---- drawing pieces ---------------------------------------------------------------------------

interface Drawing {
  svg: string;
  width: number;
  height: number;
}

function renderCell<K>(
  tophash: number,
  key: K | null,
  x: number,
  y: number,
  tooltip: string,
  formatKey: (key: K) => string,
): string {
  const kind = cellKind(tophash);
  const style = kindStyles[kind];
  const dashed = kind === 'evacuatedEmpty' ? ' stroke-dasharray="3 2"' : '';
  const box = `<rect x="${x}" y="${y}" width="${cellWidth}" height="${cellHeight}" fill="${style.fill}" stroke="${style.stroke}"${dashed}/>`;
  const middle = x + cellWidth / 2;
  let content: string;
  let title: string;
  if (kind === 'live') {
    const keyText = key === null ? '?' : formatKey(key);
    title = `${tooltip}: tophash ${hex2(tophash)}, key ${keyText}`;
    content =
      text(middle, y + 12, hex2(tophash), { size: 9, anchor: 'middle', fill: '#555555' }) +
      text(middle, y + 27, fit(keyText, keyChars), { size: 10, anchor: 'middle', weight: 'bold' });
  } else {
    title = `${tooltip}: ${kind}`;
    content = style.mark ? text(middle, y + 21, style.mark, { size: 10, anchor: 'middle', fill: style.stroke }) : '';
  }
  return `<g class="cell cell-${kind}"><title>${escapeXml(title)}</title>${box}${content}</g>`;
}

/** A right-pointing arrow from (x1, y) to (x2, y). */
function arrow(x1: number, x2: number, y: number): string {
  const head = `${x2},${y} ${x2 - 7},${y - 4} ${x2 - 7},${y + 4}`;
  return (
    `<g class="overflow-link"><line x1="${x1}" y1="${y}" x2="${x2 - 6}" y2="${y}" stroke="#444444" stroke-width="1.5"/>` +
    `<polygon points="${head}" fill="#444444"/></g>`
  );
}

function renderBucket<K>(
  bucket: GoMapCell<K>,
  x: number,
  y: number,
  label: string,
  overflow: boolean,
  formatKey: (key: K) => string,
): string {
  const cells = bucket.tophash.map((tophash, slot) =>
    renderCell(tophash, bucket.keys[slot] ?? null, x + slot * cellWidth, y, `${label}, slot ${slot}`, formatKey),
  );
  // Overflow buckets get a dashed outline so that a chain reads as "bucket, then its overflow".
  const outline = `<rect x="${x}" y="${y}" width="${bucketWidth}" height="${cellHeight}" fill="none" stroke="#333333" stroke-width="1.5"${overflow ? ' stroke-dasharray="5 3"' : ''}/>`;
  return `<g class="${overflow ? 'bucket overflow-bucket' : 'bucket'}">${cells.join('')}${outline}</g>`;
}

function renderChain<K>(
  chain: GoMapChain<K>,
  arrayName: string,
  index: number,
  x: number,
  y: number,
  formatKey: (key: K) => string,
): string {
  const parts = [text(x + indexWidth - 8, y + cellHeight / 2 + 4, String(index), { size: 11, anchor: 'end', fill: '#555555' })];
  chain.forEach((bucket, position) => {
    const left = x + indexWidth + position * (bucketWidth + chainGap);
    if (position > 0) parts.push(arrow(left - chainGap + 2, left - 2, y + cellHeight / 2));
    const label = position === 0 ? `${arrayName}[${index}]` : `${arrayName}[${index}] overflow ${position}`;
    parts.push(renderBucket(bucket, left, y, label, position > 0, formatKey));
  });
  return `<g class="bucket-row" data-array="${arrayName}" data-bucket="${index}">${parts.join('')}</g>`;
}

const columnTitleHeight = 24;

/** A bucket array as one row per chain, under a title. */
function renderArray<K>(
  arrayName: string,
  title: string,
  chains: readonly GoMapChain<K>[],
  x: number,
  y: number,
  formatKey: (key: K) => string,
): Drawing {
  const rows = chains.map((chain, index) =>
    renderChain(chain, arrayName, index, x, y + columnTitleHeight + index * rowHeight, formatKey),
  );
  const heading = text(x, y + 14, title, { size: 12, weight: 'bold' });
  return {
    svg: `<g class="bucket-array" data-array="${arrayName}">${heading}${rows.join('')}</g>`,
    width: indexWidth + chainWidth(longestChain(chains)),
    height: columnTitleHeight + chains.length * rowHeight,
  };
}

/**
 * The evacuation front: old buckets above the line have been evacuated in order (`nevacuate`);
 * below it, a bucket may still have been evacuated early by a write that touched it.
 */
function renderEvacuationFront(nevacuate: number, x: number, y: number, width: number): string {
  const lineY = y + columnTitleHeight + nevacuate * rowHeight - rowGap / 2;
  const color = '#d62728';
  return (
    `<g class="evacuation-front">` +
    `<line x1="${x + 4}" y1="${lineY}" x2="${x + width + 8}" y2="${lineY}" stroke="${color}" stroke-width="2.5" stroke-dasharray="8 4"/>` +
    `<polygon points="${x + width + 8},${lineY} ${x + width + 16},${lineY - 5} ${x + width + 16},${lineY + 5}" fill="${color}"/>` +
    text(x + width + 20, lineY + 4, `nevacuate = ${nevacuate}`, { size: 11, weight: 'bold', fill: color }) +
    `</g>`
  );
}

const legendRowHeight = 18;
const legendPerRow = 3;

function renderLegend(x: number, y: number): Drawing {
  const columnWidth = Math.max(...legendOrder.map((kind) => kindStyles[kind].legend.length)) * charWidth(11) + 28;
  const items = legendOrder.map((kind, i) => {
    const style = kindStyles[kind];
    const left = x + (i % legendPerRow) * columnWidth;
    const top = y + Math.floor(i / legendPerRow) * legendRowHeight;
    return (
      `<rect x="${left}" y="${top}" width="14" height="12" fill="${style.fill}" stroke="${style.stroke}"/>` +
      text(left + 20, top + 10, style.legend, { size: 11, fill: '#333333' })
    );
  });
  return {
    svg: `<g class="legend">${items.join('')}</g>`,
    width: legendPerRow * columnWidth,
    height: Math.ceil(legendOrder.length / legendPerRow) * legendRowHeight,
  };
}

/** The header line: every hmap field, flags by name, and what the grow is doing. */
function describeHeader(state: GoMapHeader): string {
  const load = (state.count / 2 ** state.B).toFixed(2);
  const growth = !state.growing
    ? 'no'
    : (state.flags & sameSizeGrow) !== 0
      ? `yes, same size (${2 ** state.B} buckets)`
      : `yes, ${2 ** (state.B - 1)} -> ${2 ** state.B} buckets`;
  return [
    `count ${state.count}`,
    `B ${state.B} (${2 ** state.B} buckets, load ${load}/6.5)`,
    `flags ${state.flags} (${describeFlags(state.flags)})`,
    `noverflow ${state.noverflow}`,
    `nevacuate ${state.nevacuate}`,
    `growing ${growth}`,
  ].join(' · ');
}

function arrayTitle(name: string, chains: readonly GoMapChain<unknown>[]): string {
  const overflow = chains.reduce((sum, chain) => sum + chain.length - 1, 0);
  return `${name}: ${chains.length} bucket${chains.length === 1 ? '' : 's'}, ${overflow} overflow`;
}

/** The arrays: new alone, or old and new side by side with the evacuation front while growing. */
function renderArrays<K>(state: GoMapDebugState<K>, x: number, y: number, formatKey: (key: K) => string): Drawing {
  if (state.buckets === null) {
    return { svg: text(x, y + 14, 'buckets: nil (allocated by the first insert)', { size: 12, weight: 'bold' }), width: 360, height: 24 };
  }
  let left = x;
  const parts: string[] = [];
  let height = 0;
  if (state.oldbuckets !== null) {
    const old = renderArray('oldbuckets', arrayTitle('oldbuckets', state.oldbuckets), state.oldbuckets, left, y, formatKey);
    parts.push(old.svg);
    if (state.growing) parts.push(renderEvacuationFront(state.nevacuate, left, y, old.width));
    height = old.height;
    left += old.width + columnGap;
  }
  const current = renderArray('buckets', arrayTitle('buckets', state.buckets), state.buckets, left, y, formatKey);
  parts.push(current.svg);
  return { svg: parts.join(''), width: left + current.width - x, height: Math.max(height, current.height) };
}

function frameTitle(caption: string): string {
  return caption === '' ? 'GoMap state' : caption;
}

/**
 * One state as a standalone SVG document (with `xmlns`, a white background and its own legend),
 * for embedding in docs as an image. {@link renderGoMapStates} puts one of these per frame into an
 * HTML page.
 *
 * @param state - `GoMap.debug()`'s result, or a golden trace's `state`.
 * @param caption - The picture's title, drawn above the header.
 * @returns SVG markup, identical for identical input.
 */
export function renderGoMapStateSvg<K>(state: GoMapDebugState<K>, caption: string, options: GoMapVizOptions<K> = {}): string {
  const formatKey = options.formatKey ?? formatKeyDefault;
  const header = describeHeader(state);
  const captionY = margin + 14;
  const headerY = captionY + 22;
  const legend = renderLegend(margin, headerY + 14);
  const arrays = renderArrays(state, margin, headerY + 14 + legend.height + 12, formatKey);
  const width = Math.ceil(
    2 * margin + Math.max(arrays.width, legend.width, header.length * charWidth(12), caption.length * charWidth(15)),
  );
  const height = headerY + 14 + legend.height + 12 + arrays.height + margin;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="gomap-state" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escapeXml(fontFamily)}" role="img">`,
    `<title>${escapeXml(frameTitle(caption))}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    text(margin, captionY, caption, { size: 15, weight: 'bold' }),
    text(margin, headerY, header, { size: 12, fill: '#333333', className: 'header' }),
    legend.svg,
    arrays.svg,
    `</svg>`,
  ].join('\n');
}

/**
 * Draws a sequence of GoMap states as one self-contained HTML document: for each frame, the
 * header (count, B, flags by name, noverflow, nevacuate, growing), the bucket array as rows of 8
 * tophash cells coloured by kind (live cells show their tophash in hex and their key), overflow
 * buckets chained to the right with arrows, and while growing, the old array beside the new one
 * with the evacuation front (`nevacuate`) marked in red.
 *
 * The page has inline SVG only (no scripts, no external assets) and no timestamps or randomness,
 * so the same frames always give the same bytes.
 *
 * @example
 * ```ts
 * const map = new GoMap<number, string>();
 * const frames = [];
 * for (let i = 0; i < 30; i++) {
 *   map.set(i, String(i));
 *   if (map.debug().growing) frames.push({ caption: `after set ${i}`, state: map.debug() });
 * }
 * writeFileSync('gomap.html', renderGoMapStates(frames));
 * ```
 *
 * @param frames - Captions and `GoMap.debug()` states (or golden-trace states), drawn in order.
 * @param options - The page title and how keys are written.
 * @returns The HTML document.
 */
export function renderGoMapStates<K>(frames: readonly GoMapFrame<K>[], options: GoMapVizOptions<K> = {}): string {
  const title = options.title ?? 'GoMap bucket layout';
  const figures = frames.map(
    ({ caption, state }) => `<figure>\n${renderGoMapStateSvg(state, caption, options)}\n</figure>`,
  );
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeXml(title)}</title>`,
    '<style>',
    'body { margin: 16px; font-family: system-ui, sans-serif; color: #222222; background: #ffffff; }',
    'figure { margin: 0 0 32px; }',
    // Wide tables shrink to the window rather than scroll; the SVG's viewBox keeps the proportions.
    'svg { display: block; max-width: 100%; height: auto; }',
    '</style>',
    '</head>',
    '<body>',
    `<h1>${escapeXml(title)}</h1>`,
    '<p>Each picture is one <code>GoMap.debug()</code> state: a row per bucket, 8 cells per bucket, overflow buckets chained to the right. Hover a cell for its slot, tophash and key.</p>',
    ...figures,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
