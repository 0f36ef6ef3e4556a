// The same counter, reading and writing in one synchronous step after the await.
import { auditRequest, type Request } from '../services.js';

const hitsByRoute = new Map<string, number>();

async function recordHit(request: Request): Promise<void> {
  await auditRequest(request);
  hitsByRoute.set(request.route, (hitsByRoute.get(request.route) ?? 0) + 1);
}

export async function recordBatch(requests: Request[]): Promise<Map<string, number>> {
  await Promise.all(requests.map(recordHit));
  return hitsByRoute;
}
