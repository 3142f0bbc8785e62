-- Best on a benchmark: each paper's best reported score for one metric on one dataset, best first.
-- The default answers "best FID on ImageNet". The dataset matches as a case-insensitive prefix, so
-- "ImageNet" also finds "ImageNet 256x256" and "ImageNet-1K"; the variant is shown per row.
-- param metric = fid: metric id from metric_definitions (fid, top1_accuracy, bleu, miou, ...)
-- param dataset = ImageNet: dataset name or its beginning
WITH scores AS (
    SELECT m.paper_id, m.value, m.unit, m.dataset, m.evidence, d.higher_is_better,
           CASE WHEN d.higher_is_better THEN -m.value ELSE m.value END AS sort_value
    FROM paper_metrics m
    JOIN metric_definitions d USING (metric)
    WHERE m.metric = $metric
      AND m.kind = 'score'
      AND NOT m.out_of_range
      AND d.higher_is_better IS NOT NULL
      AND starts_with(lower(m.dataset), lower($dataset))
), best_per_paper AS (
    SELECT DISTINCT ON (paper_id) *
    FROM scores
    ORDER BY paper_id, sort_value
)
SELECT rank() OVER (ORDER BY b.sort_value) AS rank,
       b.value, b.unit, b.dataset, p.title, b.evidence,
       CASE WHEN b.higher_is_better THEN 'higher' ELSE 'lower' END AS better,
       b.paper_id
FROM best_per_paper b
JOIN papers p USING (paper_id)
ORDER BY rank, p.title;
