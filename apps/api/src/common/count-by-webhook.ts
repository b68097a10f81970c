import { In, ObjectLiteral, Repository } from 'typeorm';

/** How many rows of the repository's table each webhook has (webhooks without rows are absent). */
export async function countByWebhook<T extends ObjectLiteral & { webhookId: string }>(
  repository: Repository<T>,
  webhookIds: string[],
): Promise<Map<string, number>> {
  if (webhookIds.length === 0) return new Map();
  const rows = await repository
    .createQueryBuilder('row')
    .select('row.webhookId', 'webhookId')
    .addSelect('count(*)::int', 'count')
    .where({ webhookId: In(webhookIds) })
    .groupBy('row.webhookId')
    .getRawMany<{ webhookId: string; count: number }>();
  return new Map(rows.map((row) => [row.webhookId, row.count]));
}
