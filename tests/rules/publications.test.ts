/**
 * latePublication (no-unguarded-map-in-worker-message): a key put into a pending map only after
 * the await that follows its request, while a 'message' handler looks replies up in that map.
 */
import rule from '../../lib/rules/no-unguarded-map-in-worker-message.js';
import { runBoth } from '../helpers/rule-tester.js';

const portClient = (call: string, handlerMap = 'pending') => `import type { MessagePort } from 'node:worker_threads';
interface Pending { resolve: (value: unknown) => void; reject: (error: Error) => void }
interface Reply { id: number; result?: unknown; error?: string }
declare function drained(port: MessagePort): Promise<void>;

export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly streams = new Map<number, Pending>();

  constructor(private readonly port: MessagePort) {
    port.on('message', (reply: Reply) => this.settle(reply));
  }

  private settle(reply: Reply): void {
    const entry = this.${handlerMap}.get(reply.id);
    if (!entry) return;
    this.${handlerMap}.delete(reply.id);
    if (reply.error) entry.reject(new Error(reply.error));
    else entry.resolve(reply.result);
  }

  private async send(frame: { id: number; method: string; params: unknown }): Promise<void> {
    this.port.postMessage(frame);
    await drained(this.port);
  }
${call}
}`;

const tcpClient = (call: string) => `import type { Socket } from 'node:net';
interface Waiter { resolve: (result: unknown) => void; reject: (error: Error) => void }
declare function writeFrame(socket: Socket, frame: string): Promise<void>;

export class JsonRpcConnection {
  private seq = 0;
  private buffered = '';
  private readonly waiters = new Map<number, Waiter>();

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = this.buffered.indexOf('\\n')) >= 0) {
        const reply = JSON.parse(this.buffered.slice(0, newline)) as { id: number; result: unknown };
        this.buffered = this.buffered.slice(newline + 1);
        this.waiters.get(reply.id)?.resolve(reply.result);
        this.waiters.delete(reply.id);
      }
    });
  }
${call}
}`;

const socketClient = (request: string, register = 'socket.onmessage = (event) => {', close = '};') => `interface Pending { promise: Promise<unknown>; resolve: (value: unknown) => void; reject: (error: Error) => void }
declare function defer<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void };
declare const socket: WebSocket;
declare function sendFrame(socket: WebSocket, data: string): Promise<void>;

const pending = new Map<string, Pending>();

${register}
  const message = JSON.parse(String(event.data)) as { id: string; result: unknown };
  pending.get(message.id)?.resolve(message.result);
  pending.delete(message.id);
${close}

${request}`;

runBoth('no-unguarded-map-in-worker-message', rule, {
  valid: [
    // the entry is set before the request goes out: the reply always finds it
    portClient(`
  async call(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    const reply = new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
    });
    await this.send({ id, method, params });
    return reply;
  }`),

    // postMessage is not awaited: sending and setting the entry are one synchronous step
    portClient(`
  call(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    this.port.postMessage({ id, method, params });
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }`),

    // the handler looks replies up in another map: nobody reads 'streams' by a message's key
    portClient(
      `
  async call(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    await this.send({ id, method, params });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
    });
  }`,
      'streams',
    ),

    // the await comes before the request, and WebSocket.send does not wait: the entry is set in the same step as the send
    socketClient(`declare function connected(socket: WebSocket): Promise<void>;
export async function request(method: string, params: unknown): Promise<unknown> {
  const id = crypto.randomUUID();
  await connected(socket);
  socket.send(JSON.stringify({ id, method, params }));
  const reply = defer<unknown>();
  pending.set(id, reply);
  return reply.promise;
}`),

    // a cache filled with what the await brought is no pending reply, though the handler reads it
    socketClient(`declare function post(path: string, body: unknown): Promise<Pending>;
export async function load(id: string): Promise<Pending> {
  const result = await post('/load', { id });
  pending.set(id, result);
  return result;
}`),

    // over TCP: the waiter is registered before the frame is written
    tcpClient(`
  async request(method: string, params: unknown): Promise<unknown> {
    const id = ++this.seq;
    const result = new Promise((resolve, reject) => this.waiters.set(id, { resolve, reject }));
    await writeFrame(this.socket, JSON.stringify({ id, method, params }) + '\\n');
    return result;
  }`),

    // a 'close' handler carries no replies: only 'message', 'data' and 'line' handlers are followed
    socketClient(
      `export async function request(method: string, params: unknown): Promise<unknown> {
  const id = crypto.randomUUID();
  await sendFrame(socket, JSON.stringify({ id, method, params }));
  const reply = defer<unknown>();
  pending.set(id, reply);
  return reply.promise;
}`,
      "socket.addEventListener('close', (event: MessageEvent) => {",
      '});',
    ),
  ],
  invalid: [
    // the class's own send awaits the port draining: a fast reply runs settle() before the entry exists
    {
      code: portClient(`
  async call(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    await this.send({ id, method, params });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
    });
  }`),
      errors: [
        {
          messageId: 'latePublication',
          line: 32,
          column: 7,
          endLine: 32,
          endColumn: 48,
          data: { kind: 'Map', name: 'this.pending', key: 'id', suspension: 'an await', writeLine: 32, awaitLine: 30, handler: "a 'message' handler", handlerLine: 12 },
        },
      ],
    },

    // a WebSocket RPC: the frame is awaited out, then the deferred reply is registered
    {
      code: socketClient(`export async function request(method: string, params: unknown): Promise<unknown> {
  const id = crypto.randomUUID();
  const frame = JSON.stringify({ id, method, params });
  await sendFrame(socket, frame);
  const reply = defer<unknown>();
  pending.set(id, reply);
  return reply.promise;
}`),
      errors: [
        {
          messageId: 'latePublication',
          line: 19,
          column: 3,
          endLine: 19,
          endColumn: 25,
          data: { kind: 'Map', name: 'pending', key: 'id', suspension: 'an await', writeLine: 19, awaitLine: 17, handler: "an 'onmessage' handler", handlerLine: 8 },
        },
      ],
    },

    // a JSON-RPC connection over TCP: replies come through the socket's 'data' handler
    {
      code: tcpClient(`
  async request(method: string, params: unknown): Promise<unknown> {
    const id = ++this.seq;
    await writeFrame(this.socket, JSON.stringify({ id, method, params }) + '\\n');
    return new Promise((resolve, reject) => this.waiters.set(id, { resolve, reject }));
  }`),
      errors: [
        {
          messageId: 'latePublication',
          line: 26,
          column: 45,
          endLine: 26,
          endColumn: 86,
          data: { kind: 'Map', name: 'this.waiters', key: 'id', suspension: 'an await', writeLine: 26, awaitLine: 25, handler: "a 'data' handler", handlerLine: 11 },
        },
      ],
    },

    // addEventListener('message') on the socket is the same handler
    {
      code: socketClient(
        `export async function request(method: string, params: unknown): Promise<unknown> {
  const id = crypto.randomUUID();
  await sendFrame(socket, JSON.stringify({ id, method, params }));
  return new Promise((resolve, reject) => pending.set(id, { promise: Promise.resolve(), resolve, reject }));
}`,
        "socket.addEventListener('message', (event: MessageEvent) => {",
        '});',
      ),
      errors: [
        {
          messageId: 'latePublication',
          line: 17,
          column: 43,
          endLine: 17,
          endColumn: 107,
          data: { kind: 'Map', name: 'pending', key: 'id', suspension: 'an await', writeLine: 17, awaitLine: 16, handler: "a 'message' handler", handlerLine: 8 },
        },
      ],
    },
  ],
});
