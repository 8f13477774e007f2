// duckdb-query.cjs: runs SQL with DuckDB (npm's @duckdb/node-api, found through NODE_PATH)
// for the export tests. Usage: node duckdb-query.cjs QUERIES.json, where the file holds a
// JSON array of SQL strings; prints a JSON array with, per query, its rows as CSV-like lines
// (values joined by ",", null as empty).
const fs = require('fs');
const { DuckDBInstance } = require('@duckdb/node-api');

(async () => {
  const queries = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const out = [];
  for (const sql of queries) {
    const reader = await conn.runAndReadAll(sql);
    out.push(reader.getRows().map(r => r.map(v => (v === null ? '' : String(v))).join(',')));
  }
  process.stdout.write(JSON.stringify(out) + '\n');
})().catch(e => { console.error(String(e && e.stack || e)); process.exit(1); });
