// The same sweeper, walking a copy and re-checking the live entry before deleting it.
import { isStillValid, type Session } from '../services.js';

const sessions = new Map<string, Session>();

export function login(session: Session): void {
  sessions.set(session.id, session);
}

export function logout(sessionId: string): void {
  sessions.delete(sessionId);
}

setInterval(async () => {
  for (const [id, session] of [...sessions]) {
    const valid = await isStillValid(session);
    if (!valid && sessions.get(id) === session) sessions.delete(id);
  }
}, 1_000);
