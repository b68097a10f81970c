// Stand-in for the generated client until the transforms branch lands; deleted then.
import { client } from '@webhooker/api-client';

interface SampleRequest {
  method?: string;
  path?: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: unknown;
}
export interface PreviewTargetData {
  body: { eventId?: string; request?: SampleRequest; filter?: object | null; transform?: string | null };
  path: { id: string };
}
export interface PreviewTargetResponse {
  matched: boolean;
  skipped: boolean;
  skipReason: 'filter' | 'transform' | null;
  request: {
    method: string;
    path: string;
    query: Record<string, string | string[]>;
    headers: Record<string, string>;
    body: unknown;
  } | null;
  url: string | null;
  error: string | null;
  logs: string[];
  durationMs: number;
}
export interface SendTargetTestData {
  body: { eventId?: string; request?: SampleRequest };
  path: { id: string };
}
export interface SendTargetTestResponse {
  eventId: string;
  deliveryId: string;
  status: string;
  skipReason: 'filter' | 'transform' | null;
  attempt: {
    statusCode: number | null;
    durationMs: number;
    responseExcerpt: string | null;
    error: string | null;
  } | null;
}

export const previewTargetMutation = () => ({
  mutationFn: async ({ path, body }: PreviewTargetData) =>
    (
      await client.post<{ 200: PreviewTargetResponse }, unknown, true>({
        url: '/api/v1/targets/{id}/preview',
        path,
        body,
        headers: { 'Content-Type': 'application/json' },
        throwOnError: true,
      })
    ).data,
});
export const sendTargetTestMutation = () => ({
  mutationFn: async ({ path, body }: SendTargetTestData) =>
    (
      await client.post<{ 200: SendTargetTestResponse }, unknown, true>({
        url: '/api/v1/targets/{id}/test',
        path,
        body,
        headers: { 'Content-Type': 'application/json' },
        throwOnError: true,
      })
    ).data,
});
