-- What changed in the last run: page versions it added or changed, and the versions it replaced or dropped.
-- One row per page file version, with the published build it went into. When warehouse_builds records
-- the build before the newest one, the change is the exact difference of their live sources. With a
-- single build recorded it is the newest ingest batch (a run stamps every version it reads with one
-- ingested_at), the older versions those replaced, and those of its files since deleted; a deletion of
-- another file cannot be dated then, so it is not listed (see `sources` rows with status 'deleted').
WITH builds AS (
    SELECT build_id, built_at, source_ids, row_number() OVER (ORDER BY built_at DESC) AS age
    FROM warehouse_builds
),
now_live AS (SELECT unnest(source_ids) AS source_id FROM builds WHERE age = 1),
was_live AS (SELECT unnest(source_ids) AS source_id FROM builds WHERE age = 2),
exact_changes AS (
    SELECT source_id, 'in' AS side FROM now_live WHERE source_id NOT IN (SELECT source_id FROM was_live)
    UNION ALL
    SELECT source_id, 'out' FROM was_live WHERE source_id NOT IN (SELECT source_id FROM now_live)
),
newest_batch AS (
    SELECT source_id, partition_key, ingested_at
    FROM sources
    WHERE ingested_at = (SELECT max(ingested_at) FROM sources)
),
batch_changes AS (
    SELECT source_id, 'in' AS side FROM newest_batch
    UNION ALL
    -- The version each file of the batch had just before it.
    SELECT source_id, 'out' FROM (
        SELECT DISTINCT ON (older.partition_key) older.source_id
        FROM sources older
        JOIN newest_batch n ON older.partition_key = n.partition_key AND older.ingested_at < n.ingested_at
        ORDER BY older.partition_key, older.ingested_at DESC
    )
),
changes AS (
    SELECT * FROM exact_changes WHERE EXISTS (SELECT 1 FROM builds WHERE age = 2)
    UNION ALL
    SELECT * FROM batch_changes WHERE NOT EXISTS (SELECT 1 FROM builds WHERE age = 2)
)
SELECT CASE
           WHEN s.status = 'deleted' THEN 'deleted'
           WHEN c.side = 'out' THEN 'replaced'
           WHEN EXISTS (SELECT 1 FROM sources o
                        WHERE o.partition_key = s.partition_key AND o.ingested_at < s.ingested_at)
               THEN 'changed'
           ELSE 'added'
       END AS change,
       s.file_name, s.status, s.n_records, s.n_quarantined_lines, s.ingested_at,
       b.build_id, b.built_at, s.source_id
FROM changes c
JOIN sources s USING (source_id)
CROSS JOIN (SELECT build_id, built_at FROM builds WHERE age = 1) b
ORDER BY c.side, s.file_name, s.ingested_at;
