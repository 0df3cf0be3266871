/**
 * Prepared statements kept per SQL text. better-sqlite3's `prepare` compiles the SQL on every call
 * (tens of microseconds); the stores run the same few statements on every request and batch item.
 */
import type Database from 'better-sqlite3';

export function statementCache(db: Database.Database): (sql: string) => Database.Statement {
  const prepared = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = prepared.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      prepared.set(sql, statement);
    }
    return statement;
  };
}
