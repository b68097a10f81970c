import type { Client } from 'pg';

/** A node of the plan PostgreSQL ran (EXPLAIN (ANALYZE, FORMAT JSON)), with the fields the specs read. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Join Filter'?: number;
  Plans?: PlanNode[];
}

function flatten(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(flatten)];
}

/** Runs `text` under EXPLAIN ANALYZE (so it really runs, writes included) and returns every node of its plan. */
export async function analyzedPlan(db: Client, text: string, values: unknown[]): Promise<PlanNode[]> {
  const { rows } = await db.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values);
  return flatten(rows[0]['QUERY PLAN'][0].Plan as PlanNode);
}
