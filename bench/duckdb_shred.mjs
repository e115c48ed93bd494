// duckdb_shred.mjs: the DuckDB side of furrow's shred comparison (issue 4).
// DuckDB reads enriched TSV, keeps one row per (event_id, event_fingerprint)
// and writes one zstd Parquet file:
//
//   COPY (SELECT DISTINCT ON (event_id, event_fingerprint) *
//         FROM read_csv(<input>/*, tab-delimited, no header, no quoting))
//   TO '<output>/atomic.parquet' (FORMAT parquet, COMPRESSION zstd)
//
// Columns are typed as furrow's atomic Parquet types them (--columns typed,
// the default): INTEGER, DOUBLE, DECIMAL(18,2) (se_value DOUBLE), BOOLEAN
// ("1"/"0"), TIMESTAMP (yyyy-MM-dd HH:mm:ss.SSS), VARCHAR; empty fields are
// NULL. The three JSON columns (contexts, unstruct_event, derived_contexts)
// stay VARCHAR: DuckDB neither validates nor shreds them, where furrow
// validates every entity against its Iglu schema and writes one typed
// dataset per entity model. --columns varchar reads all 131 columns as
// VARCHAR (no parsing at all: DuckDB's cheapest possible run).
//
// Usage (from the repository root, after `npm install`):
//
//   node bench/duckdb_shred.mjs --input /tmp/enriched --output /tmp/duck [--threads 1|0] [--columns typed|varchar]
//
// --threads 0 (default) keeps DuckDB's default (one per core); --threads 1
// runs SET threads=1. It prints one JSON object: rows written, wall seconds
// of the COPY statement, and the CPU seconds the process used meanwhile
// (process.cpuUsage: every DuckDB thread included).
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

// The 131 enriched-event columns in TSV order with furrow's atomic types
// (TestDuckDBColumnsMatchEvent checks them against package event).
const COLUMNS = [
  ['app_id', 'VARCHAR'], ['platform', 'VARCHAR'], ['etl_tstamp', 'TIMESTAMP'], ['collector_tstamp', 'TIMESTAMP'],
  ['dvce_created_tstamp', 'TIMESTAMP'], ['event', 'VARCHAR'], ['event_id', 'VARCHAR'], ['txn_id', 'VARCHAR'],
  ['name_tracker', 'VARCHAR'], ['v_tracker', 'VARCHAR'], ['v_collector', 'VARCHAR'], ['v_etl', 'VARCHAR'],
  ['user_id', 'VARCHAR'], ['user_ipaddress', 'VARCHAR'], ['user_fingerprint', 'VARCHAR'], ['domain_userid', 'VARCHAR'],
  ['domain_sessionidx', 'INTEGER'], ['network_userid', 'VARCHAR'], ['geo_country', 'VARCHAR'], ['geo_region', 'VARCHAR'],
  ['geo_city', 'VARCHAR'], ['geo_zipcode', 'VARCHAR'], ['geo_latitude', 'DOUBLE'], ['geo_longitude', 'DOUBLE'],
  ['geo_region_name', 'VARCHAR'], ['ip_isp', 'VARCHAR'], ['ip_organization', 'VARCHAR'], ['ip_domain', 'VARCHAR'],
  ['ip_netspeed', 'VARCHAR'], ['page_url', 'VARCHAR'], ['page_title', 'VARCHAR'], ['page_referrer', 'VARCHAR'],
  ['page_urlscheme', 'VARCHAR'], ['page_urlhost', 'VARCHAR'], ['page_urlport', 'INTEGER'], ['page_urlpath', 'VARCHAR'],
  ['page_urlquery', 'VARCHAR'], ['page_urlfragment', 'VARCHAR'], ['refr_urlscheme', 'VARCHAR'], ['refr_urlhost', 'VARCHAR'],
  ['refr_urlport', 'INTEGER'], ['refr_urlpath', 'VARCHAR'], ['refr_urlquery', 'VARCHAR'], ['refr_urlfragment', 'VARCHAR'],
  ['refr_medium', 'VARCHAR'], ['refr_source', 'VARCHAR'], ['refr_term', 'VARCHAR'], ['mkt_medium', 'VARCHAR'],
  ['mkt_source', 'VARCHAR'], ['mkt_term', 'VARCHAR'], ['mkt_content', 'VARCHAR'], ['mkt_campaign', 'VARCHAR'],
  ['contexts', 'VARCHAR'], ['se_category', 'VARCHAR'], ['se_action', 'VARCHAR'], ['se_label', 'VARCHAR'],
  ['se_property', 'VARCHAR'], ['se_value', 'DOUBLE'], ['unstruct_event', 'VARCHAR'], ['tr_orderid', 'VARCHAR'],
  ['tr_affiliation', 'VARCHAR'], ['tr_total', 'DECIMAL(18,2)'], ['tr_tax', 'DECIMAL(18,2)'], ['tr_shipping', 'DECIMAL(18,2)'],
  ['tr_city', 'VARCHAR'], ['tr_state', 'VARCHAR'], ['tr_country', 'VARCHAR'], ['ti_orderid', 'VARCHAR'],
  ['ti_sku', 'VARCHAR'], ['ti_name', 'VARCHAR'], ['ti_category', 'VARCHAR'], ['ti_price', 'DECIMAL(18,2)'],
  ['ti_quantity', 'INTEGER'], ['pp_xoffset_min', 'INTEGER'], ['pp_xoffset_max', 'INTEGER'], ['pp_yoffset_min', 'INTEGER'],
  ['pp_yoffset_max', 'INTEGER'], ['useragent', 'VARCHAR'], ['br_name', 'VARCHAR'], ['br_family', 'VARCHAR'],
  ['br_version', 'VARCHAR'], ['br_type', 'VARCHAR'], ['br_renderengine', 'VARCHAR'], ['br_lang', 'VARCHAR'],
  ['br_features_pdf', 'BOOLEAN'], ['br_features_flash', 'BOOLEAN'], ['br_features_java', 'BOOLEAN'], ['br_features_director', 'BOOLEAN'],
  ['br_features_quicktime', 'BOOLEAN'], ['br_features_realplayer', 'BOOLEAN'], ['br_features_windowsmedia', 'BOOLEAN'], ['br_features_gears', 'BOOLEAN'],
  ['br_features_silverlight', 'BOOLEAN'], ['br_cookies', 'BOOLEAN'], ['br_colordepth', 'VARCHAR'], ['br_viewwidth', 'INTEGER'],
  ['br_viewheight', 'INTEGER'], ['os_name', 'VARCHAR'], ['os_family', 'VARCHAR'], ['os_manufacturer', 'VARCHAR'],
  ['os_timezone', 'VARCHAR'], ['dvce_type', 'VARCHAR'], ['dvce_ismobile', 'BOOLEAN'], ['dvce_screenwidth', 'INTEGER'],
  ['dvce_screenheight', 'INTEGER'], ['doc_charset', 'VARCHAR'], ['doc_width', 'INTEGER'], ['doc_height', 'INTEGER'],
  ['tr_currency', 'VARCHAR'], ['tr_total_base', 'DECIMAL(18,2)'], ['tr_tax_base', 'DECIMAL(18,2)'], ['tr_shipping_base', 'DECIMAL(18,2)'],
  ['ti_currency', 'VARCHAR'], ['ti_price_base', 'DECIMAL(18,2)'], ['base_currency', 'VARCHAR'], ['geo_timezone', 'VARCHAR'],
  ['mkt_clickid', 'VARCHAR'], ['mkt_network', 'VARCHAR'], ['etl_tags', 'VARCHAR'], ['dvce_sent_tstamp', 'TIMESTAMP'],
  ['refr_domain_userid', 'VARCHAR'], ['refr_dvce_tstamp', 'TIMESTAMP'], ['derived_contexts', 'VARCHAR'], ['domain_sessionid', 'VARCHAR'],
  ['derived_tstamp', 'TIMESTAMP'], ['event_vendor', 'VARCHAR'], ['event_name', 'VARCHAR'], ['event_format', 'VARCHAR'],
  ['event_version', 'VARCHAR'], ['event_fingerprint', 'VARCHAR'], ['true_tstamp', 'TIMESTAMP'],
];

const { values: args } = parseArgs({
  options: {
    input: { type: 'string' },
    output: { type: 'string' },
    threads: { type: 'string', default: '0' },
    columns: { type: 'string', default: 'typed' },
  },
});
if (!args.input || !args.output) {
  console.error('usage: node bench/duckdb_shred.mjs --input DIR --output DIR [--threads N] [--columns typed|varchar]');
  process.exit(2);
}
if (args.columns !== 'typed' && args.columns !== 'varchar') {
  console.error(`--columns: ${args.columns} is not typed or varchar`);
  process.exit(2);
}
const threads = Number.parseInt(args.threads, 10);
if (!(threads >= 0)) {
  console.error(`--threads: ${args.threads} is not a number ≥ 0`);
  process.exit(2);
}

const sqlString = (s) => `'${s.replaceAll("'", "''")}'`;
const columns = '{' + COLUMNS.map(([name, type]) =>
  `${sqlString(name)}: ${sqlString(args.columns === 'typed' ? type : 'VARCHAR')}`).join(', ') + '}';
const out = resolve(args.output);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const target = join(out, 'atomic.parquet');
const source = `read_csv(${sqlString(join(resolve(args.input), '*'))}, delim = '\t', header = false, quote = '', escape = '',
  auto_detect = false, nullstr = '', timestampformat = '%Y-%m-%d %H:%M:%S.%g', columns = ${columns})`;
const sql = `COPY (SELECT DISTINCT ON (event_id, event_fingerprint) * FROM ${source})
  TO ${sqlString(target)} (FORMAT parquet, COMPRESSION zstd)`;

const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
if (threads > 0) {
  await conn.run(`SET threads = ${threads}`);
}
const used = (await conn.runAndReadAll("SELECT current_setting('threads') AS t")).getRowObjectsJson()[0].t;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const res = await conn.runAndReadAll(sql);
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const rows = Number(res.getRows()[0][0]);
console.log(JSON.stringify({
  engine: 'duckdb', threads: Number(used), columns: args.columns, rows_written: rows,
  wall_s: wall, cpu_s: (cpu.user + cpu.system) / 1e6, output: target,
}));
