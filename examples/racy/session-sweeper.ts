// Expires idle sessions every second while logins and logouts keep changing the table.
import { isStillValid, type Session } from '../services.js';

const sessions = new Map<string, Session>();

export function login(session: Session): void {
  sessions.set(session.id, session);
}

export function logout(sessionId: string): void {
  sessions.delete(sessionId);
}

setInterval(async () => {
  // The sweep walks the live map and awaits inside the loop: logins and logouts run meanwhile,
  // and a session refreshed during the check is deleted with its old verdict.
  for (const [id, session] of sessions) {
    if (!(await isStillValid(session))) {
      sessions.delete(id);
    }
  }
}, 1_000);
