/**
 * Races: a critical section in a concurrent task on a map shared beyond the task, and some other
 * code that can write the map while the section is suspended — another instance of the same task,
 * another task of the same group, or (for module and class state) any other function of the file.
 */
import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import { contains, enclosingFunction, isFunction, unwrap, type FunctionNode } from './ast.js';
import type { Access, FileModel } from './file-model.js';
import { limitedCallbacks, sectionsIn, type GuardMatcher, type Section } from './sections.js';
import { taskGroups, type SourceKind, type Task, type TaskGroup } from './tasks.js';

/** How many calls deep a task is followed into the file's own functions. */
const callDepth = 2;

export interface Race {
  section: Section;
  group: TaskGroup;
  /** Who writes the map meanwhile, as the message says it. */
  writer: string;
}

export function findRaces(model: FileModel, source: SourceKind, guards: GuardMatcher): Race[] {
  const races: Race[] = [];
  const reported = new Set<TSESTree.Node>();
  for (const group of taskGroups(model, source)) {
    const reaches = group.tasks.map((task) => reachOf(model, task.root));
    group.tasks.forEach((task, index) => {
      const reach = reaches[index]!;
      for (const root of reach) {
        for (const section of sectionsIn(model, root, guards)) {
          const access = section.type === 'read-write' ? section.read : section.loop;
          if (reported.has(access.node) || !isShared(access, task, reach)) continue;
          const writer = conflictingWriter(model, access, group, task, index, reaches);
          if (!writer) continue;
          reported.add(access.node);
          races.push({ section, group, writer });
        }
      }
    });
  }
  return races.sort((a, b) => first(a).node.range[0] - first(b).node.range[0]);
}

function first(race: Race): Access {
  return race.section.type === 'read-write' ? race.section.read : race.section.loop;
}

/** The task's root and the file's functions it calls, `callDepth` calls deep. */
function reachOf(model: FileModel, root: FunctionNode | TSESTree.Statement): Set<FunctionNode | TSESTree.Statement> {
  const reach = new Set<FunctionNode | TSESTree.Statement>([root]);
  let frontier: (FunctionNode | TSESTree.Statement)[] = [root];
  for (let depth = 0; depth < callDepth; depth++) {
    const next: FunctionNode[] = [];
    for (const fn of frontier) {
      for (const { node } of model.within(model.calls, fn)) {
        for (const callee of [...model.calleesOf(node), ...limitedCallbacks(model, node)]) {
          if (!reach.has(callee)) {
            reach.add(callee);
            next.push(callee);
          }
        }
      }
    }
    frontier = next;
  }
  return reach;
}

/** True when the map outlives the task: module or class state, or a local of an enclosing function. */
function isShared(access: Access, task: Task, reach: ReadonlySet<TSESTree.Node>): boolean {
  const { map } = access;
  if (map.scope !== 'function') return true;
  const home = map.declaredIn;
  if (!home || reach.has(home)) return false;
  return !contains(task.root, home);
}

/** Who can write the map while the section waits, in the message's words; null when no one can. */
function conflictingWriter(
  model: FileModel,
  access: Access,
  group: TaskGroup,
  task: Task,
  index: number,
  reaches: ReadonlySet<TSESTree.Node>[],
): string | null {
  const writes = model.writesOf(access.identity);
  const inReach = (reach: ReadonlySet<TSESTree.Node>) => (write: Access) => write.owner !== null && [...reach].some((root) => ownedByRoot(write, root));
  if (task.many && writes.some(inReach(reaches[index]!))) return manyPhrase(group);
  for (let other = 0; other < group.tasks.length; other++) {
    if (other === index) continue;
    const write = writes.find(inReach(reaches[other]!));
    if (write) return `while another of the ${group.label} writes it (line ${line(write.node)})`;
  }
  if (access.map.scope === 'function') return null;
  const outside = writes.find((write) => write.owner !== null && ![...reaches[index]!].some((root) => ownedByRoot(write, root)));
  if (!outside) return null;
  return `while ${functionName(outside.owner!)} (line ${line(outside.node)}) writes it`;
}

function ownedByRoot(write: Access, root: TSESTree.Node): boolean {
  return isFunction(root) ? write.owner === root : write.owner === enclosingFunction(root) && contains(root, write.node);
}

function manyPhrase(group: TaskGroup): string {
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
  return 'a callback';
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
