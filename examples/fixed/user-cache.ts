// The same cache, storing the promise before the first await: concurrent callers share one load.
import { fetchUser, type User } from '../services.js';

const users = new Map<string, Promise<User>>();

export function getUser(id: string): Promise<User> {
  let user = users.get(id);
  if (!user) {
    user = fetchUser(id);
    users.set(id, user);
    user.catch(() => users.delete(id));
  }
  return user;
}

export async function loadTeam(memberIds: string[]): Promise<User[]> {
  return Promise.all(memberIds.map((id) => getUser(id)));
}
