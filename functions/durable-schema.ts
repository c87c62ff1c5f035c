/**
 * A Durable Object's SQLite tables with a version, not only `CREATE TABLE IF
 * NOT EXISTS`: each storage namespace (a Durable Object, or one feature the
 * tunnel hosts) lists its migrations in order, and `migrateSchema` applies
 * the ones its row in `_schema_versions` has not seen yet. Migration 1 of
 * every namespace is the schema as it was first shipped, written with
 * IF NOT EXISTS so objects created before versioning adopt it as is. A
 * change to a table is a new migration appended to its list, never an edit
 * of an old one.
 */
export function migrateSchema(sql: SqlStorage, namespace: string, migrations: readonly string[]) {
  sql.exec(
    'CREATE TABLE IF NOT EXISTS _schema_versions (namespace TEXT PRIMARY KEY, version INTEGER NOT NULL)',
  );
  const row = sql
    .exec<{ version: number }>(
      'SELECT version FROM _schema_versions WHERE namespace = ?',
      namespace,
    )
    .toArray()[0];
  const applied = row?.version ?? 0;
  if (applied >= migrations.length) return;
  for (const migration of migrations.slice(applied)) sql.exec(migration);
  sql.exec(
    'INSERT INTO _schema_versions (namespace, version) VALUES (?, ?) ON CONFLICT(namespace) DO UPDATE SET version = excluded.version',
    namespace,
    migrations.length,
  );
}
