// The application services the examples call: slow, asynchronous, like a database or an API.
import { setTimeout as sleep } from 'node:timers/promises';

export interface User {
  id: string;
  name: string;
}
export interface Request {
  route: string;
  user: string;
}
export interface Session {
  id: string;
  expiresAt: number;
}
export interface Job {
  id: string;
  completedSteps: string[];
}

export async function fetchUser(id: string): Promise<User> {
  await sleep(5);
  return { id, name: `user ${id}` };
}

export async function auditRequest(_request: Request): Promise<void> {
  await sleep(1);
}

export async function isStillValid(session: Session): Promise<boolean> {
  await sleep(1);
  return session.expiresAt > Date.now();
}

export async function runStep(_job: Job, _step: string): Promise<void> {
  await sleep(2);
}
