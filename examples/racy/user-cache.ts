// A read-through cache of user profiles, filled by every request that misses it.
import { fetchUser, type User } from '../services.js';

const users = new Map<string, User>();

export async function getUser(id: string): Promise<User> {
  const cached = users.get(id);
  if (cached) return cached;
  // Every task that missed waits here, then all of them load and store the same user.
  const user = await fetchUser(id);
  users.set(id, user);
  return user;
}

export async function loadTeam(memberIds: string[]): Promise<User[]> {
  return Promise.all(memberIds.map((id) => getUser(id)));
}
