// ---------------------------------------------------------------------------------------------
// Race mode's cost on a promise-heavy workload, off and on.
//
//   npm run bench:race-mode             about a minute on 2 cores
//   npm run bench:race-mode -- --quick  a smoke run
//
// The workload (one sample): 1,000 tasks started together by Promise.all; each reads a shared key
// and its own key, awaits, writes its own key, awaits again and reads it back: 3 reads, 1 write and
// 2 awaits per task, race-free (race mode must not report). Time per task is the sample's time
// over 1,000.
//
// Race mode switches on process-wide promise hooks that stay on, so every mode runs in its own
// child process, and the children take turns round by round (off, option, --import, option with
// stacks, then again), so that a busy machine slows all of them alike. Each child reports the
// median of its samples; the table gives the median over rounds and each mode's ratio to `off`
// (median of the per-round ratios).
//
// Modes: `map` (a native Map, for scale), `off` (GoMap, race mode off: what production pays),
// `option` (`new GoMap({ race: true })`), `--import` (`node --import eslint-plugin-maprace/race`,
// every GoMap in race mode). Target: on ≤ 5× off. Also `option, stacks` (`{ race: { stacks: true
// } }`, MAPRACE_STACKS=1: a stack recorded at every access, for reports that show where the other
// side was made): a diagnostic setting, shown for its cost and not held to the target.
//
// Zero cost when off: set MAPRACE_BASELINE=<path to an older build's dist/runtime/index.js> to add
// `baseline` (that build's GoMap, in the same child as `off`, paired sample by sample).
// ---------------------------------------------------------------------------------------------
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { machine, progressReporter, writeResults } from './harness.js';

const here = fileURLToPath(import.meta.url);
const tasks = 1000;

async function workload(map) {
  map.set('config', 1);
  const task = async (i) => {
    const key = `task:${i}`;
    const config = map.get('config');
    const before = map.get(key) ?? 0;
    await null;
    map.set(key, before + config);
    await null;
    return map.get(key);
  };
  await Promise.all(Array.from({ length: tasks }, (_, i) => task(i)));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A child: runs the workload `samples` times on fresh maps and prints the median ns per task. */
async function child(mode, samples) {
  const runtime = await import(new URL('../dist/runtime/index.js', import.meta.url));
  const baseline = mode === 'off' && process.env.MAPRACE_BASELINE ? await import(process.env.MAPRACE_BASELINE) : undefined;
  const make = {
    map: () => new Map(),
    off: () => new runtime.GoMap({ race: false }),
    option: () => new runtime.GoMap({ race: true }),
    '--import': () => new runtime.GoMap(),
    'option, stacks': () => new runtime.GoMap({ race: { stacks: true } }),
  }[mode];
  const sides = [['self', make]];
  if (baseline !== undefined) sides.push(['baseline', () => new baseline.GoMap()]);
  const times = Object.fromEntries(sides.map(([name]) => [name, []]));
  for (let i = 0; i < samples + 5; i++) {
    for (const [name, makeMap] of i % 2 === 0 ? sides : [...sides].reverse()) {
      const map = makeMap();
      const start = process.hrtime.bigint();
      await workload(map);
      const ns = Number(process.hrtime.bigint() - start) / tasks;
      if (i >= 5) times[name].push(ns); // the first 5 warm up
    }
  }
  const result = { mode, nsPerTask: median(times.self) };
  if (baseline !== undefined) {
    result.baselineNsPerTask = median(times.baseline);
    result.offOverBaseline = median(times.self.map((t, i) => t / times.baseline[i]));
  }
  process.stdout.write(JSON.stringify(result));
}

function runChild(mode, samples) {
  const args = mode === '--import' ? ['--import', 'eslint-plugin-maprace/race'] : [];
  const out = execFileSync(process.execPath, [...args, here, '--child', mode, String(samples)], {
    encoding: 'utf8',
    env: { ...process.env, MAPRACE: '' },
  });
  return JSON.parse(out);
}

async function main() {
  const quick = process.argv.includes('--quick');
  const rounds = quick ? 2 : 7;
  const samples = quick ? 10 : 40;
  const progress = progressReporter('race-mode');
  const modes = ['map', 'off', 'option', '--import', 'option, stacks'];
  const perMode = Object.fromEntries(modes.map((mode) => [mode, []]));
  let zeroCost;
  for (let round = 1; round <= rounds; round++) {
    progress(`round ${round}/${rounds}`);
    for (const mode of modes) {
      const result = runChild(mode, samples);
      perMode[mode].push(result.nsPerTask);
      if (result.offOverBaseline !== undefined) (zeroCost ??= []).push(result);
    }
  }
  const rows = modes.map((mode) => ({
    mode,
    nsPerTask: Math.round(median(perMode[mode])),
    vsOff: Number(median(perMode[mode].map((ns, i) => ns / perMode.off[i])).toFixed(2)),
  }));
  console.log(`race mode on a Promise.all fan-out of ${tasks} tasks (3 reads, 1 write, 2 awaits each)`);
  console.log('| mode | ns per task | × off |');
  console.log('| --- | ---: | ---: |');
  for (const row of rows) console.log(`| ${row.mode} | ${row.nsPerTask} | ${row.vsOff.toFixed(2)}× |`);
  const worst = Math.max(...rows.filter((row) => ['option', '--import'].includes(row.mode)).map((row) => row.vsOff));
  console.log(`target: race mode (option, --import) ≤ 5× off — worst ${worst.toFixed(2)}× (${worst <= 5 ? 'PASS' : 'MISS'})`);
  let zero;
  if (zeroCost !== undefined) {
    zero = {
      offOverBaseline: Number(median(zeroCost.map((r) => r.offOverBaseline)).toFixed(3)),
      baseline: process.env.MAPRACE_BASELINE,
    };
    console.log(`off against the baseline build (paired, same child): ${zero.offOverBaseline}× (1.00 = no cost)`);
  }
  writeResults('race-mode', quick, { machine: machine(), tasks, rounds, samples, rows, zeroCost: zero });
}

if (process.argv[2] === '--child') await child(process.argv[3], Number(process.argv[4]));
else await main();
