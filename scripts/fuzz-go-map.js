// Differential fuzzing of GoMap against the native Map, for as long as you like.
//
//   npm run fuzz                                  10 million operations, random seed
//   npm run fuzz -- --ops 100000000 --seed 42     more, reproducibly
//   npm run fuzz -- --seed 42 --episode 17        replay one episode of a run
//   npm run fuzz -- --replay /tmp/repro.json      replay a shrunk reproduction
//
// The run is a series of episodes. Each episode makes a GoMap and a native Map with a key space,
// a hint, a hasher (the default seeded hash, or one that forces collisions, single chains or
// lopsided grows) and an iterator seed, all drawn from the episode's own PRNG (seeded from the run
// seed and the episode number), then applies random operations to both: set, delete, get, has,
// size, clear, bulk inserts and deletes, full loops, and loops that write between visits.
// Every result must agree with the native Map, and every loop must follow Go's rules for `range`
// (see tests/runtime/go-map.fuzz.test.ts, which runs the same check under fast-check).
// On a divergence the episode is shrunk to a short operation list, written as JSON, and the run
// exits with status 1 after its summary. Episodes that use the default hash are seeded from
// crypto randomness inside GoMap, so their replays may not reproduce a layout-dependent bug; the
// custom hashers replay exactly.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GoMap } from '../dist/runtime/index.js';

const { values: args } = parseArgs({
  options: {
    ops: { type: 'string', default: '10000000' },
    seed: { type: 'string' },
    episode: { type: 'string' },
    replay: { type: 'string' },
    'max-divergences': { type: 'string', default: '10' },
    'shrink-seconds': { type: 'string', default: '30' },
    'clear-in-loops': { type: 'string', default: 'yes' },
    quiet: { type: 'boolean', default: false },
  },
});

// ---- random numbers -----------------------------------------------------------------------------

/** sfc32, seeded through splitmix32: a fast 32-bit generator with a 2^128 state. */
function prng(seed) {
  let s = seed >>> 0;
  const splitmix32 = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix32();
  let b = splitmix32();
  let c = splitmix32();
  let d = splitmix32();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  return {
    uint32: next,
    /** An integer in [0, n). */
    below: (n) => Math.floor((next() / 2 ** 32) * n),
    chance: (p) => next() / 2 ** 32 < p,
    pick: (list) => list[Math.floor((next() / 2 ** 32) * list.length)],
  };
}

const episodeSeed = (runSeed, episode) => (Math.imul(runSeed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(episode, 0x85ebca6b)) >>> 0;

// ---- what an episode runs on --------------------------------------------------------------------

function splitmix64(key) {
  let z = BigInt.asUintN(64, BigInt(key) + 0x9e3779b97f4a7c15n);
  z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
  z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
  return z ^ (z >> 31n);
}

/** Keys of every kind, by index (0 and -0 are one key, as in Map). */
const mixedPool = Array.from({ length: 4096 }, (_, i) => {
  const n = i >> 3;
  switch (i & 7) {
    case 0: return n;
    case 1: return `${n}`;
    case 2: return BigInt(n);
    case 3: return Symbol(`s${n}`);
    case 4: return { n };
    case 5: return -n - 0.5;
    case 6: return [n];
    default: return [NaN, -0, 0, true, false, null, undefined, '', Infinity, -Infinity, 2n ** 64n][n % 11];
  }
});

/** The hashers, with the key spaces that keep their (deliberately bad) chains affordable. */
const subjects = {
  default: { keySpaces: [8, 64, 512, 4096, 32768], keyOf: (i) => i },
  mixed: { keySpaces: [16, 256, 4096], keyOf: (i) => mixedPool[i] },
  splitmix64: { keySpaces: [8, 64, 512, 4096], keyOf: (i) => i, hasher: splitmix64 },
  collide4: { keySpaces: [8, 64, 256], keyOf: (i) => i, hasher: (key) => BigInt(key % 4) },
  oneBucket: { keySpaces: [8, 64, 256], keyOf: (i) => i, hasher: (key) => BigInt(key & 0xff) << 56n },
  bit0: { keySpaces: [16, 128, 512], keyOf: (i) => i, hasher: (key) => BigInt(key & 1) | (BigInt(key % 7) << 56n) },
  // Ten consecutive keys per bucket: churn leaves emptied overflow buckets behind, and
  // tooManyOverflowBuckets starts same-size grows.
  clustered: { keySpaces: [300, 1000, 5000], keyOf: (i) => i, hasher: (key) => BigInt(Math.floor(key / 10)) | (BigInt(key % 251) << 56n) },
};
const subjectNames = Object.keys(subjects);

function chooseConfig(rng) {
  const subject = rng.pick(subjectNames);
  const keys = rng.pick(subjects[subject].keySpaces);
  const hint = rng.chance(0.8) ? 0 : rng.below(2 * keys) - 1;
  const length = 1 + rng.below(rng.chance(0.7) ? 2000 : 30_000);
  return { subject, keys, hint, iteratorSeed: rng.uint32(), length };
}

// ---- operations ---------------------------------------------------------------------------------

const loops = ['entries', 'keys', 'forEach'];

/**
 * clear() inside loops: nothing it removed may be returned afterwards. Go 1.19 breaks this during
 * a grow (golang/go#70189); `--clear-in-loops no` leaves it out.
 */
const clearInLoops = args['clear-in-loops'] !== 'no';

/** One random write for use inside a loop. */
function randomWrite(rng, keys) {
  const r = rng.below(100);
  if (r < 46) return { op: 'set', key: rng.below(keys) };
  if (r < 92) return { op: 'delete', key: rng.below(keys) };
  if (r < 95) return { op: 'churn', count: 1 + rng.below(50) };
  if (r < 99 || !clearInLoops) return { op: 'loop', loop: rng.pick(loops) };
  return { op: 'clear' };
}

/** Random operations for an episode: writes dominate, loops are rarer on big key spaces. */
function* randomOps(rng, { keys, length }) {
  const loopChance = Math.min(0.02, 40 / keys);
  for (let n = 0; n < length; n++) {
    if (rng.chance(loopChance)) {
      if (rng.chance(0.4)) {
        yield { op: 'iterate', loop: rng.pick(loops) };
      } else {
        const script = Array.from({ length: 1 + rng.below(6) }, () => ({
          afterVisit: 1 + rng.below(rng.chance(0.5) ? 8 : Math.max(8, keys)),
          writes: Array.from({ length: 1 + rng.below(rng.chance(0.8) ? 4 : 64) }, () => randomWrite(rng, keys)),
        }));
        yield { op: 'iterateWithWrites', loop: rng.pick(loops), startMidGrow: rng.chance(0.5), script };
      }
      continue;
    }
    const r = rng.below(1000);
    if (r < 400) yield { op: 'set', key: rng.below(keys) };
    else if (r < 680) yield { op: 'delete', key: rng.below(keys) };
    else if (r < 820) yield { op: 'get', key: rng.below(keys) };
    else if (r < 900) yield { op: 'has', key: rng.below(keys) };
    else if (r < 960) yield { op: 'size' };
    else if (r < 985) yield { op: 'setRange', from: rng.below(keys), count: 1 + rng.below(Math.min(keys, 2048)) };
    else if (r < 995) yield { op: 'deleteRange', from: rng.below(keys), count: 1 + rng.below(Math.min(keys, 2048)) };
    else if (r < 999) yield { op: 'churn', count: 1 + rng.below(Math.min(keys, 1000)) };
    else yield { op: 'clear' };
  }
}

class Divergence extends Error {}

/**
 * Applies ops to a fresh GoMap and native Map; returns { done, divergence } where divergence is
 * { index, message } for the first disagreement. `record` (an array) receives each op run.
 */
function execute(config, ops, { record, countOps } = {}) {
  const subject = subjects[config.subject];
  const keyOf = (i) => subject.keyOf(i % config.keys);
  const iteratorRng = prng(config.iteratorSeed);
  const go = new GoMap({ hint: config.hint, random: iteratorRng.uint32, ...(subject.hasher && { hasher: subject.hasher }) });
  const native = new Map();
  let version = 0;
  let done = 0;
  // The next key index churn and startMidGrow insert; loops with writes note deletes through onDelete.
  let fresh = 0;
  let onDelete = null;
  const nextFreshKey = () => {
    for (let n = 0; n < config.keys; n++) {
      fresh = (fresh + 1) % config.keys;
      if (!native.has(keyOf(fresh))) return fresh;
    }
    return -1;
  };
  const fail = (message) => {
    throw new Divergence(message);
  };
  const show = (key) => (typeof key === 'symbol' ? key.toString() : typeof key === 'bigint' ? `${key}n` : typeof key === 'object' && key !== null ? JSON.stringify(key) : String(key));

  const write = (w) => {
    done++;
    switch (w.op) {
      case 'set': {
        const key = keyOf(w.key);
        version++;
        if (go.set(key, version) !== go) fail('set() did not return the map');
        native.set(key, version);
        break;
      }
      case 'delete': {
        const key = keyOf(w.key);
        onDelete?.(key);
        const want = native.delete(key);
        const got = go.delete(key);
        if (got !== want) fail(`delete(${show(key)}) returned ${got}, want ${want}`);
        break;
      }
      case 'clear':
        if (onDelete) for (const key of native.keys()) onDelete(key);
        go.clear();
        native.clear();
        break;
      case 'loop':
        loopWithoutWrites(w.loop);
        break;
      case 'churn':
        // Delete the oldest key, insert one not in the map: the count stays flat, keys move on.
        for (let n = 0; n < w.count && native.size > 0; n++) {
          const freshKey = nextFreshKey();
          if (freshKey < 0) break; // every key is in (the mixed pool has aliases such as -0 for 0)
          const oldest = native.keys().next().value;
          onDelete?.(oldest);
          native.delete(oldest);
          if (!go.delete(oldest)) fail(`churn: delete(${show(oldest)}) returned false`);
          done++;
          write({ op: 'set', key: freshKey });
        }
        break;
      default:
        fail(`unknown write ${w.op}`);
    }
  };

  const walk = (loop, visit) => {
    if (loop === 'entries') for (const [key, value] of go) visit(key, value);
    else if (loop === 'keys') for (const key of go.keys()) visit(key, undefined);
    else go.forEach((value, key) => visit(key, value));
  };

  const compareContents = (where) => {
    if (go.size !== native.size) fail(`${where}: size ${go.size}, want ${native.size}`);
    for (const [key, value] of native) {
      const got = go.get(key);
      if (!Object.is(got, value)) fail(`${where}: get(${show(key)}) is ${got}, want ${value}`);
    }
  };

  function loopWithoutWrites(loop) {
    const seen = new Set();
    walk(loop, (key, value) => {
      if (!native.has(key)) fail(`${loop} loop returned ${show(key)}, which is not in the map`);
      if (seen.has(key)) fail(`${loop} loop returned ${show(key)} twice`);
      if (value !== undefined && value !== native.get(key)) fail(`${loop} loop: value ${value} for ${show(key)}, want ${native.get(key)}`);
      seen.add(key);
    });
    if (seen.size !== native.size) fail(`${loop} loop returned ${seen.size} of ${native.size} keys`);
  }

  // Go's rules for a range loop with writes; see tests/runtime/go-map.fuzz.test.ts.
  function loopWithWrites(loop, script) {
    const present = new Set(native.keys());
    const deletedDuringLoop = new Set();
    const deletedSinceReturned = new Set();
    const returned = new Map();
    onDelete = (key) => {
      if (!native.has(key)) return;
      deletedDuringLoop.add(key);
      if (returned.has(key)) deletedSinceReturned.add(key);
    };
    let visits = 0;
    walk(loop, (key, value) => {
      visits++;
      if (!native.has(key)) fail(`${loop} loop, visit ${visits}: returned ${show(key)}, deleted earlier in this loop`);
      if (value !== undefined && value !== native.get(key)) fail(`${loop} loop, visit ${visits}: value ${value} for ${show(key)}, want ${native.get(key)}`);
      const times = returned.get(key) ?? 0;
      if (times > 0 && !deletedSinceReturned.has(key)) fail(`${loop} loop, visit ${visits}: returned ${show(key)} twice`);
      deletedSinceReturned.delete(key);
      returned.set(key, times + 1);
      for (const step of script) {
        if (step.afterVisit !== visits) continue;
        for (const w of step.writes) write(w);
      }
    });
    onDelete = null;
    for (const key of present) {
      if (deletedDuringLoop.has(key)) continue;
      const times = returned.get(key) ?? 0;
      if (times !== 1) fail(`${loop} loop: ${show(key)} was in the map for the whole loop but returned ${times} times`);
    }
  }

  // Inserts fresh keys until the insert that passes 6.5 keys per bucket has started a grow.
  function insertUntilGrowing() {
    const { B, growing } = go.stats();
    if (growing) return;
    const growsAt = Math.max(8, (13 * 2 ** B) / 2) + 1;
    while (native.size < growsAt) {
      const key = nextFreshKey();
      if (key < 0) return;
      write({ op: 'set', key });
    }
  }

  let index = 0;
  try {
    for (const o of ops) {
      record?.push(o);
      switch (o.op) {
        case 'get': {
          const key = keyOf(o.key);
          const got = go.get(key);
          if (!Object.is(got, native.get(key))) fail(`get(${show(key)}) is ${got}, want ${native.get(key)}`);
          done++;
          break;
        }
        case 'has': {
          const key = keyOf(o.key);
          if (go.has(key) !== native.has(key)) fail(`has(${show(key)}) is ${go.has(key)}`);
          done++;
          break;
        }
        case 'size':
          done++;
          break;
        case 'setRange':
        case 'deleteRange':
          for (let i = o.from; i < o.from + o.count; i++) write({ op: o.op === 'setRange' ? 'set' : 'delete', key: i });
          break;
        case 'iterate':
          done++;
          loopWithoutWrites(o.loop);
          break;
        case 'iterateWithWrites':
          done++;
          if (o.startMidGrow) insertUntilGrowing();
          loopWithWrites(o.loop, o.script);
          break;
        default:
          write(o);
      }
      if (go.size !== native.size) fail(`size ${go.size}, want ${native.size}`);
      if (o.op === 'iterate' || o.op === 'iterateWithWrites' || o.op === 'clear' || (index & 4095) === 4095) compareContents(o.op);
      countOps?.(done);
      done = 0;
      index++;
    }
    compareContents('end of episode');
  } catch (error) {
    if (!(error instanceof Divergence)) {
      return { done: index, divergence: { index, message: `threw ${error?.stack ?? error}` } };
    }
    return { done: index, divergence: { index, message: error.message } };
  }
  return { done: index, divergence: null };
}

// ---- shrinking ----------------------------------------------------------------------------------

/** Greedy chunk removal: keeps any shorter op list that still diverges, within a time budget. */
function shrink(config, ops, seconds) {
  const deadline = Date.now() + seconds * 1000;
  const diverges = (candidate) => execute(config, candidate).divergence;
  let best = ops;
  let divergence = diverges(best);
  if (divergence === null) return { ops: best, divergence: null, complete: true };
  best = best.slice(0, divergence.index + 1);
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1; chunk >>= 1) {
    for (let start = 0; start < best.length; ) {
      if (Date.now() > deadline) return { ops: best, divergence, complete: false };
      const candidate = best.slice(0, start).concat(best.slice(start + chunk));
      const found = candidate.length > 0 ? diverges(candidate) : null;
      if (found !== null) {
        best = candidate.slice(0, found.index + 1);
        divergence = found;
      } else {
        start += chunk;
      }
    }
  }
  // Simplify loop scripts too: drop script steps and writes one by one.
  for (const [i, o] of best.entries()) {
    if (o.op !== 'iterateWithWrites') continue;
    for (let s = o.script.length - 1; s >= 0; s--) {
      for (let w = o.script[s].writes.length - 1; w >= 0; w--) {
        if (Date.now() > deadline) return { ops: best, divergence, complete: false };
        const writes = o.script[s].writes.filter((_, j) => j !== w);
        const script = o.script.map((step, j) => (j === s ? { ...step, writes } : step)).filter((step) => step.writes.length > 0);
        const candidate = best.map((op, j) => (j === i ? { ...op, script } : op));
        const found = diverges(candidate);
        if (found !== null) {
          best = candidate;
          divergence = found;
          o.script = script;
        }
      }
    }
  }
  return { ops: best, divergence, complete: true };
}

// ---- the run ------------------------------------------------------------------------------------

const fmt = (n) => n.toLocaleString('en-US');

function report(reproduction) {
  const file = path.join(tmpdir(), `fuzz-go-map-repro-${reproduction.seed}-${reproduction.episode}.json`);
  writeFileSync(file, `${JSON.stringify(reproduction, null, 1)}\n`);
  const { config, ops, divergence } = reproduction;
  console.log(`  shrunk to ${ops.length} op(s)${reproduction.complete ? '' : ' (shrink time budget ran out)'}: ${divergence.message}`);
  console.log(`  config: ${JSON.stringify(config)}`);
  if (ops.length <= 40) for (const [i, o] of ops.entries()) console.log(`    ${i}: ${JSON.stringify(o)}`);
  console.log(`  written to ${file}; replay with: npm run fuzz -- --replay ${file}`);
}

async function main() {
  if (args.replay !== undefined) {
    const { readFileSync } = await import('node:fs');
    const { config, ops } = JSON.parse(readFileSync(args.replay, 'utf8'));
    const { divergence } = execute(config, ops);
    if (divergence === null) {
      console.log(`replay ${args.replay}: no divergence (${ops.length} ops; a default-hash episode may depend on the seed)`);
      return 0;
    }
    console.log(`replay ${args.replay}: divergence at op ${divergence.index}: ${divergence.message}`);
    return 1;
  }

  const totalOps = Number(args.ops);
  if (!Number.isSafeInteger(totalOps) || totalOps < 1) throw new Error(`--ops must be a positive integer, got ${args.ops}`);
  const seed = args.seed === undefined ? (Math.random() * 2 ** 32) >>> 0 : Number(args.seed) >>> 0;
  const onlyEpisode = args.episode === undefined ? null : Number(args.episode);
  const maxDivergences = Number(args['max-divergences']);

  const started = performance.now();
  let opsDone = 0;
  let nextProgress = 1_000_000;
  let episodes = 0;
  const episodesBySubject = Object.fromEntries(subjectNames.map((name) => [name, 0]));
  const divergences = [];
  const countOps = (n) => {
    opsDone += n;
    if (opsDone >= nextProgress && !args.quiet) {
      const seconds = (performance.now() - started) / 1000;
      console.log(`  ${fmt(opsDone).padStart(13)} ops  ${fmt(Math.round(opsDone / seconds)).padStart(10)} ops/s  ${episodes} episodes`);
      nextProgress += 1_000_000;
    }
  };
  console.log(`fuzz-go-map: seed ${seed}, ${fmt(totalOps)} ops${onlyEpisode === null ? '' : `, episode ${onlyEpisode} only`}`);

  for (let episode = onlyEpisode ?? 0; opsDone < totalOps && divergences.length < maxDivergences; episode++) {
    const rng = prng(episodeSeed(seed, episode));
    const config = chooseConfig(rng);
    episodes++;
    episodesBySubject[config.subject]++;
    const record = [];
    // The episode's ops stop where the run's op budget does (each op counted with what it did).
    const budget = totalOps - opsDone;
    let spent = 0;
    const limited = (function* () {
      for (const o of randomOps(rng, config)) {
        if (spent >= budget) return;
        yield o;
      }
    })();
    const firstOp = opsDone;
    const { divergence } = execute(config, limited, {
      record,
      countOps: (n) => {
        spent += n;
        countOps(n);
      },
    });
    if (divergence !== null) {
      console.log(`DIVERGENCE in episode ${episode} (${config.subject}) at its op ${divergence.index} (run op ~${fmt(firstOp + spent)}): ${divergence.message}`);
      console.log(`  reproduce: npm run fuzz -- --seed ${seed} --episode ${episode}`);
      divergences.push({ episode, config, record, divergence });
    }
    if (onlyEpisode !== null) break;
  }

  const seconds = (performance.now() - started) / 1000;
  if (divergences.length > 0) {
    const first = divergences[0];
    console.log(`shrinking the first divergence (episode ${first.episode}, ${first.record.length} ops)...`);
    const shrunk = shrink(first.config, first.record, Number(args['shrink-seconds']));
    if (shrunk.divergence === null) {
      console.log('  it did not reproduce on replay (the default hash is seeded at random); run again with the same seed');
    } else {
      report({ seed, episode: first.episode, config: first.config, ops: shrunk.ops, divergence: shrunk.divergence, complete: shrunk.complete });
    }
  }
  console.log(`  episodes by hasher: ${subjectNames.map((name) => `${name} ${episodesBySubject[name]}`).join(', ')}`);
  console.log(
    `fuzz-go-map: ${fmt(opsDone)} ops in ${seconds.toFixed(1)} s (${fmt(Math.round(opsDone / seconds))} ops/s), ` +
      `${episodes} episodes, seed ${seed}: ${divergences.length} divergence${divergences.length === 1 ? '' : 's'}`,
  );
  return divergences.length === 0 ? 0 : 1;
}

process.exitCode = await main();
