// The attempt row of the bench's references (the record reference and the queue reference): the
// least an attempt history holds — delivery, attempt number, start, duration, status code and the
// answer's first bytes — with one index, its primary key.

/** `CREATE TABLE IF NOT EXISTS` of such a table named `name`. */
export function attemptTableDdl(name) {
  return `CREATE TABLE IF NOT EXISTS ${name} (
    delivery_id uuid NOT NULL,
    attempt_number int NOT NULL,
    started_at timestamptz NOT NULL,
    duration_ms int NOT NULL,
    status_code int,
    response_excerpt text,
    PRIMARY KEY (delivery_id, attempt_number))`;
}
