/**
 * Races: a critical section in a concurrent task on a map shared beyond the task, and some other
 * code that can write the map while the section is suspended — another instance of the same task,
 * another task of the same group, or (for module and class state) any other function of the file.
 */
import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import { calleeText, contains, enclosingFunction, isConstructorThisWrite, isFunction, outermost, propertyName, unwrap, type FunctionNode } from './ast.js';
import { instancesApart } from './benign.js';
import type { Access, FileModel } from './file-model.js';
import { lazyInitsIn, type LazyInitSection } from './lazy-init.js';
import type { MapBinding } from './maps.js';
import { limitedCallbacks, sectionsIn, type GuardMatcher, type Section } from './sections.js';
import { combinatorOf, inFileSources, messageRegistrars, taskGroups, timerOf, type SourceKind, type Task, type TaskGroup } from './tasks.js';

/** How many calls deep a task is followed into the file's own functions. */
const callDepth = 2;

export interface Race {
  section: Section | LazyInitSection;
  group: TaskGroup;
  /** Who writes the map meanwhile, as the message says it. */
  writer: string;
}

/** The races found per file model, source and guards: the entry rule asks for the other sources' too. */
const racesCache = new WeakMap<FileModel, Map<string, Race[]>>();

export function findRaces(model: FileModel, source: SourceKind, guards: GuardMatcher): Race[] {
  let bySource = racesCache.get(model);
  if (!bySource) racesCache.set(model, (bySource = new Map()));
  const key = `${source}\u0000${guards.key}`;
  let races = bySource.get(key);
  if (!races) bySource.set(key, (races = racesOf(model, source, guards)));
  return races;
}

function racesOf(model: FileModel, source: SourceKind, guards: GuardMatcher): Race[] {
  const races: Race[] = [];
  // what a source the file starts itself reports, an entry reaching it leaves to that rule
  const reported = new Set<TSESTree.Node>(source === 'async-entry' ? inFileSources.flatMap((other) => findRaces(model, other, guards).map((race) => first(race).node)) : []);
  for (const group of taskGroups(model, source)) {
    const reaches = group.tasks.map((task) => reachOf(model, task.root, guards));
    group.tasks.forEach((task, index) => {
      const reach = reaches[index]!;
      for (const [root, role] of reach.roles) {
        if (role !== 'open' || group.reportedElsewhere?.(root)) continue;
        for (const section of [...sectionsIn(model, root, guards), ...lazyInitsIn(model, root, guards)]) {
          const access = subjectOf(section);
          if (reported.has(access.node) || !isShared(access, task, reach.roles)) continue;
          const writes = section.type === 'lazy-init' ? section.writes : model.writesOf(access.identity);
          // instances that each touch only their own key, or that a re-entrancy flag serializes, never meet
          const apart = () => section.type !== 'lazy-init' && instancesApart(model, section.type === 'read-write' ? section.read : section.loop, group, task.root, reach.all);
          const writer = conflictingWriter(access, writes, group, task, index, reaches, apart);
          if (!writer) continue;
          reported.add(access.node);
          races.push({ section, group, writer });
        }
      }
    });
  }
  return races.sort((a, b) => first(a).node.range[0] - first(b).node.range[0]);
}

function first(race: Race): Subject {
  return subjectOf(race.section);
}

/** What the checks ask of a section's first access: a map's, or a shared field's or variable's. */
type Subject = Pick<Access, 'node' | 'identity'> & { map: Pick<MapBinding, 'scope' | 'declaredIn'> };
/** A write as the writer check sees it. */
type Write = Pick<Access, 'node' | 'ref' | 'owner'>;

export function subjectOf(section: Section | LazyInitSection): Subject {
  return section.type === 'live-loop' ? section.loop : section.read;
}

type Root = FunctionNode | TSESTree.Statement;

/**
 * How a function takes part in a task: open (its sections are the task's), guarded (it runs
 * under a lock, reached through a guard's callback: it still writes, but its sections are
 * serialized), or elsewhere (a task of its own that runs during this one — a `Promise.all`
 * nested in it — whose own group reports its sections).
 */
type Role = 'open' | 'guarded' | 'elsewhere';

interface Reach {
  roles: Map<Root, Role>;
  /** Every root, for the writer checks. */
  all: Set<Root>;
}

const rolePrecedence: Record<Role, number> = { open: 0, elsewhere: 1, guarded: 2 };

/** Calls whose callbacks run later, on their own: timers and event handlers (their own tasks). */
const registrars = new Set([...messageRegistrars, 'prependListener', 'prependOnceListener']);

/**
 * The task's root, the file's functions it calls (`callDepth` calls deep), and the function
 * literals handed to the calls it makes — `withRetry(async () => …)`, `db.transaction(async (tx)
 * => …)`, `span(async () => …)` run as part of the task — except the callbacks of timers and event
 * registrations, which run later as tasks of their own. A lock's callbacks are reached as guarded.
 */
function reachOf(model: FileModel, root: Root, guards: GuardMatcher): Reach {
  const roles = new Map<Root, Role>([[root, 'open']]);
  let frontier: [Root, Role][] = [[root, 'open']];
  const add = (fn: Root, role: Role, queue: [Root, Role][]): void => {
    const known = roles.get(fn);
    if (known !== undefined && rolePrecedence[known] <= rolePrecedence[role]) return;
    roles.set(fn, role);
    queue.push([fn, role]);
  };
  for (let depth = 0; depth <= callDepth && frontier.length > 0; depth++) {
    const next: [Root, Role][] = [];
    // callbacks join the frontier being walked: they are part of the function that makes the call
    for (let i = 0; i < frontier.length; i++) {
      const [fn, role] = frontier[i]!;
      if (roles.get(fn) !== role) continue; // reached again with a stronger role since
      for (const { node } of model.within(model.calls, fn)) {
        const serialized = guards.serializes(model, node);
        const inner: Role = serialized ? 'guarded' : role;
        if (!defers(node)) {
          for (const callback of model.callbacksOf(node)) add(callback, inner === 'open' && isTaskOfItsOwn(model, callback) ? 'elsewhere' : inner, frontier);
        }
        if (depth === callDepth) continue;
        for (const callee of [...model.calleesOf(node), ...limitedCallbacks(model, node)]) {
          if (instanceLocal(model, node, roles)) continue;
          add(callee, inner, next);
        }
        if (serialized) for (const argument of node.arguments) for (const callee of model.functionsOf(argument)) add(callee, 'guarded', next);
      }
    }
    frontier = next;
  }
  return { roles, all: new Set(roles.keys()) };
}

function defers(call: TSESTree.CallExpression | TSESTree.NewExpression): boolean {
  const callee = unwrap(call.callee);
  if (callee.type === AST_NODE_TYPES.MemberExpression && registrars.has(propertyName(callee) ?? '')) return true;
  return timerOf(call) !== null;
}

/**
 * A callback mapped into `Promise.all(xs.map(async (x) => …))`, directly or through a variable
 * (`const ps = xs.map(…); await Promise.all(ps)`): a group of tasks of its own.
 */
function isTaskOfItsOwn(model: FileModel, callback: FunctionNode): boolean {
  const map = callback.parent;
  if (map?.type !== AST_NODE_TYPES.CallExpression || map.arguments[0] !== callback) return false;
  const callee = unwrap(map.callee);
  if (callee.type !== AST_NODE_TYPES.MemberExpression || !['map', 'flatMap'].includes(propertyName(callee) ?? '')) return false;
  const mapped = outermost(map);
  const use = mapped.parent;
  if (use?.type === AST_NODE_TYPES.VariableDeclarator && use.init === mapped) {
    return model.sourceCode.getDeclaredVariables(use).some((variable) =>
      variable.references.some((reference) => {
        const call = reference.identifier.parent;
        return call?.type === AST_NODE_TYPES.CallExpression && call.arguments[0] === reference.identifier && isCombinator(call);
      }),
    );
  }
  return use?.type === AST_NODE_TYPES.CallExpression && use.arguments[0] === mapped && isCombinator(use);
}

function isCombinator(call: TSESTree.CallExpression): boolean {
  return combinatorOf(call) !== null;
}

/** True for `c.m()` on an instance the task itself creates: each task has its own. */
function instanceLocal(model: FileModel, call: TSESTree.CallExpression | TSESTree.NewExpression, roles: ReadonlyMap<Root, Role>): boolean {
  const receiver = model.receiverOf(call);
  if (receiver?.kind !== 'instance') return false;
  const home = enclosingFunction(receiver.declaration);
  return home !== null && [...roles.keys()].some((root) => root === home || contains(root, receiver.declaration));
}

/** True when the map outlives the task: module or class state, or a local of an enclosing function. */
function isShared(access: Subject, task: Task, reach: ReadonlyMap<TSESTree.Node, Role>): boolean {
  const { map } = access;
  if (map.scope !== 'function') return true;
  const home = map.declaredIn;
  if (!home || reach.has(home)) return false;
  return !contains(task.root, home);
}

/** Who can write the map while the section waits, in the message's words; null when no one can. */
function conflictingWriter(
  access: Subject,
  writes: readonly Write[],
  group: TaskGroup,
  task: Task,
  index: number,
  reaches: readonly Reach[],
  apart: () => boolean,
): string | null {
  const inReach = (reach: Reach) => (write: Write) => write.owner !== null && [...reach.all].some((root) => ownedByRoot(write, root));
  if (task.many && writes.some(inReach(reaches[index]!)) && !apart()) return manyPhrase(group);
  for (let other = 0; other < group.tasks.length; other++) {
    if (other === index) continue;
    const write = writes.find(inReach(reaches[other]!));
    if (write) return `while another of the ${group.label} writes it (line ${line(write.node)})`;
  }
  if (access.map.scope === 'function') return null;
  const own = reaches[index]!;
  const outside = writes.find(
    (write) =>
      write.owner !== null &&
      ![...own.all].some((root) => ownedByRoot(write, root)) &&
      !isConstructorThisWrite(write.ref, write.owner),
  );
  if (!outside) return null;
  return `while ${functionName(outside.owner!)} (line ${line(outside.node)}) writes it`;
}

function ownedByRoot(write: Write, root: TSESTree.Node): boolean {
  return isFunction(root) ? write.owner === root : write.owner === enclosingFunction(root) && contains(root, write.node);
}

function manyPhrase(group: TaskGroup): string {
  if (group.overlap) return group.overlap;
  if (group.label.startsWith('Promise.')) return 'while other tasks write it';
  if (group.label.includes('setInterval')) return 'while the next run of the callback, started before this one ends, writes it';
  return 'while the runs of the handler for other messages write it';
}

/** A function as a reader finds it: its name, or where it is. */
export function functionName(fn: FunctionNode): string {
  if (fn.type !== AST_NODE_TYPES.ArrowFunctionExpression && fn.id) return `'${fn.id.name}'`;
  const parent = fn.parent;
  if (parent?.type === AST_NODE_TYPES.VariableDeclarator && parent.id.type === AST_NODE_TYPES.Identifier) return `'${parent.id.name}'`;
  if ((parent?.type === AST_NODE_TYPES.MethodDefinition || parent?.type === AST_NODE_TYPES.PropertyDefinition) && parent.key.type === AST_NODE_TYPES.Identifier) {
    return `'${parent.key.name}'`;
  }
  if (parent?.type === AST_NODE_TYPES.Property && parent.key.type === AST_NODE_TYPES.Identifier) return `'${parent.key.name}'`;
  // a callback by what it is handed to: `the app.post callback`, `the setTimeout callback`
  const registrar = (parent?.type === AST_NODE_TYPES.CallExpression || parent?.type === AST_NODE_TYPES.NewExpression) && parent.callee !== fn ? calleeText(parent.callee) : null;
  return registrar ? `the ${registrar} callback` : 'a callback';
}

export function line(node: TSESTree.Node): number {
  return node.loc.start.line;
}

// ---- maps copied into workers ------------------------------------------------------------------------

export interface ClonedMap {
  ref: TSESTree.Node;
  access: { name: string; kind: string };
  /** `postMessage` or `workerData`. */
  via: string;
  writer: Access;
}

/**
 * Long-lived maps (module or class state that some function writes) handed to `postMessage(…)`
 * or `new Worker(file, { workerData })`: structured clone sends a copy.
 */
export function findClonedMaps(model: FileModel): ClonedMap[] {
  const found: ClonedMap[] = [];
  for (const { node } of model.calls) {
    const callee = unwrap(node.callee);
    let payload: TSESTree.Node | undefined;
    let via = '';
    if (node.type === AST_NODE_TYPES.CallExpression) {
      const name = callee.type === AST_NODE_TYPES.Identifier ? callee.name : callee.type === AST_NODE_TYPES.MemberExpression && !callee.computed && callee.property.type === AST_NODE_TYPES.Identifier ? callee.property.name : null;
      if (name === 'postMessage') {
        payload = node.arguments[0];
        via = 'postMessage';
      }
    } else if (callee.type === AST_NODE_TYPES.Identifier && callee.name === 'Worker') {
      const options = node.arguments[1];
      if (options?.type === AST_NODE_TYPES.ObjectExpression) {
        for (const property of options.properties) {
          if (property.type === AST_NODE_TYPES.Property && property.key.type === AST_NODE_TYPES.Identifier && property.key.name === 'workerData') {
            payload = property.value;
            via = 'workerData';
          }
        }
      }
    }
    if (!payload) continue;
    for (const ref of mapCandidates(payload)) {
      const map = model.resolver.resolve(ref);
      if (!map || map.scope === 'function' || map.guarded) continue;
      const identity = model.resolver.identity(ref);
      const writer = identity === null ? undefined : model.writesOf(identity).find((write) => write.owner !== null);
      if (writer) found.push({ ref, access: { name: map.name, kind: kindLabel(map.kind) }, via, writer });
    }
  }
  return found;
}

function mapCandidates(payload: TSESTree.Node): TSESTree.Node[] {
  const value = unwrap(payload);
  if (value.type === AST_NODE_TYPES.Identifier || (value.type === AST_NODE_TYPES.MemberExpression && value.object.type === AST_NODE_TYPES.ThisExpression)) {
    return [value];
  }
  if (value.type === AST_NODE_TYPES.ObjectExpression) {
    return value.properties.flatMap((property) => (property.type === AST_NODE_TYPES.Property ? mapCandidates(property.value) : []));
  }
  if (value.type === AST_NODE_TYPES.ArrayExpression) return value.elements.flatMap((element) => (element && element.type !== AST_NODE_TYPES.SpreadElement ? mapCandidates(element) : []));
  return [];
}

export function kindLabel(kind: string): string {
  return kind === 'record' ? 'Record' : kind;
}
