// `npm run viz`: pictures of GoMap's buckets, drawn from GoMap.debug() after chosen operations.
//
//   node scripts/viz.js [--script FILE] [--out FILE] [--svg FILE]
//
// Without --script it runs a built-in script: integer keys inserted until the table grows from 4
// to 8 buckets (pictured before, during and after the grow), then deletes that leave emptyOne and
// emptyRest cells. It writes docs/img/gomap.html and the mid-grow picture to
// docs/img/gomap-grow.svg (for docs/runtime.md).
//
// A script FILE is JSON: { "hint"?: number, "ops": [{ "op": "set" | "delete", "key": ... }],
// "frames"?: [opIndex | { "after": opIndex, "caption": "..." }] }. Each frame is drawn after the op
// with that (0-based) index. Without "frames", the pictures are taken before a grow starts, when it
// starts and when it finishes, and after the last op. With --script, an SVG is written only when
// --svg is given: of the first growing frame, or else the first frame.
//
// Keys are hashed by a fixed 64-bit mix, not GoMap's seeded hash, so the pictures are the same on
// every run.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GoMap, renderGoMapStates, renderGoMapStateSvg } from '../dist/runtime/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const mask64 = (1n << 64n) - 1n;

/** SplitMix64's finalizer: every input bit moves about half of the output bits. */
function mix64(x) {
  let z = (x + 0x9e3779b97f4a7c15n) & mask64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask64;
  return z ^ (z >> 31n);
}

/** A fixed hash: integers by value, anything else by its JSON text (FNV-1a), then mixed. */
function fixedHash(key) {
  if (Number.isSafeInteger(key)) return mix64(BigInt.asUintN(64, BigInt(key)));
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(JSON.stringify(key) ?? String(key))) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & mask64;
  return mix64(h);
}

// 26 keys fill 4 buckets to the load limit (6.5 per bucket); the 27th starts a grow to 8 buckets,
// whose evacuation the next writes carry on, two old buckets at a time. With fixedHash, 5 and 24
// sit in front of live cells, so deleting them leaves emptyOne; 28 is last in its bucket, so
// deleting it marks its cell emptyRest and walks back over 24's emptyOne.
const builtinScript = {
  hint: 0,
  ops: [
    ...Array.from({ length: 30 }, (_, i) => ({ op: 'set', key: i + 1 })),
    { op: 'delete', key: 5 },
    { op: 'delete', key: 24 },
    { op: 'delete', key: 28 },
  ],
  frames: [
    { after: 25, caption: 'set 1..26: 4 buckets hold 6.5 keys each, the most Go allows; bucket 2 has overflowed' },
    { after: 26, caption: 'set 27 starts a grow to 8 buckets and evacuates its own old bucket (2) and bucket nevacuate (0)' },
    { after: 27, caption: 'set 28 evacuates old bucket 1; nevacuate skips 2, already done; keys of old bucket 3 are still read there' },
    { after: 28, caption: 'set 29 evacuates the last old bucket: the grow is over and the old table is dropped' },
    { after: 31, caption: 'set 30, delete 5 and 24: deleted cells with live cells after them become emptyOne' },
    { after: 32, caption: 'delete 28, the last key of bucket 4: its cell and the emptyOne before it become emptyRest' },
  ],
};

function fail(message) {
  console.error(`viz: ${message}`);
  process.exit(2);
}

/** Checks a script's shape and returns it with frames as { after, caption } objects (or null). */
function readScript(file) {
  let script;
  try {
    script = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    fail(`cannot read script ${file}: ${error.message}`);
  }
  if (typeof script !== 'object' || script === null || !Array.isArray(script.ops)) fail(`${file}: "ops" must be an array`);
  if (script.hint !== undefined && typeof script.hint !== 'number') fail(`${file}: "hint" must be a number`);
  script.ops.forEach((op, i) => {
    if (op?.op !== 'set' && op?.op !== 'delete') fail(`${file}: ops[${i}].op must be "set" or "delete"`);
    if (!('key' in op)) fail(`${file}: ops[${i}] has no "key"`);
  });
  if (script.frames !== undefined && !Array.isArray(script.frames)) fail(`${file}: "frames" must be an array`);
  const frames = script.frames?.map((frame, i) => {
    const after = typeof frame === 'number' ? frame : frame?.after;
    if (!Number.isInteger(after) || after < 0 || after >= script.ops.length) {
      fail(`${file}: frames[${i}] must be an op index from 0 to ${script.ops.length - 1}`);
    }
    return { after, caption: typeof frame === 'object' && typeof frame.caption === 'string' ? frame.caption : undefined };
  });
  return { hint: script.hint ?? 0, ops: script.ops, frames: frames ?? null };
}

function describeOp(ops, index) {
  const { op, key } = ops[index];
  return `after op ${index}: ${op} ${JSON.stringify(key)}`;
}

/** Frames for a script that names none: around each grow, and the end. */
function defaultFrames(ops, states) {
  const frames = new Map();
  states.forEach((state, i) => {
    const wasGrowing = i > 0 && states[i - 1].growing;
    if (state.growing && !wasGrowing) {
      if (i > 0) frames.set(i - 1, 'before the grow');
      frames.set(i, 'a grow starts');
    } else if (!state.growing && wasGrowing) {
      frames.set(i, 'the grow is over');
    }
  });
  if (ops.length > 0 && !frames.has(ops.length - 1)) frames.set(ops.length - 1, 'the last op');
  return [...frames].sort(([a], [b]) => a - b).map(([after, why]) => ({ after, caption: `${describeOp(ops, after)} (${why})` }));
}

/** Runs the ops on a GoMap with the fixed hash and returns the state after each. */
function run(script) {
  // `random` only places iterators, which the script never starts; fixed for good measure.
  const map = new GoMap({ hint: script.hint, hasher: fixedHash, random: () => 0, name: 'viz' });
  return script.ops.map(({ op, key }) => {
    if (op === 'set') map.set(key, key);
    else map.delete(key);
    return map.debug();
  });
}

function write(file, content) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  console.log(`wrote ${path.relative(process.cwd(), file) || file}`);
}

const usage = 'usage: node scripts/viz.js [--script FILE] [--out FILE.html] [--svg FILE.svg]';
let args;
try {
  ({ values: args } = parseArgs({
    options: { script: { type: 'string' }, out: { type: 'string' }, svg: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  }));
} catch (error) {
  fail(`${error.message}\n${usage}`);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}

const script = args.script === undefined ? builtinScript : readScript(args.script);
const states = run(script);
const frames = (script.frames ?? defaultFrames(script.ops, states)).map(({ after, caption }) => ({
  caption: caption ?? describeOp(script.ops, after),
  state: states[after],
}));
const title = args.script === undefined ? 'GoMap: a grow from 4 to 8 buckets, then deletes' : `GoMap: ${path.basename(args.script)}`;

write(path.resolve(args.out ?? path.join(root, 'docs/img/gomap.html')), renderGoMapStates(frames, { title }));

const svgFile = args.svg ?? (args.script === undefined ? path.join(root, 'docs/img/gomap-grow.svg') : undefined);
const pictured = frames.find((frame) => frame.state.growing) ?? frames[0];
if (svgFile !== undefined && pictured !== undefined) {
  write(path.resolve(svgFile), `${renderGoMapStateSvg(pictured.state, pictured.caption)}\n`);
}
