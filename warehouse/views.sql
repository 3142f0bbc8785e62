-- Views users query; created in every published build, after the tables.

-- One row per paper and available code repository.
CREATE VIEW papers_with_code AS
SELECT p.paper_id, p.title, l.repo, l.url, l.host
FROM papers p
JOIN (SELECT DISTINCT ON (paper_id, repo) paper_id, repo, url, host
      FROM paper_links
      WHERE kind = 'repository' AND availability = 'available' AND repo IS NOT NULL
      ORDER BY paper_id, repo, span_start) l USING (paper_id)
ORDER BY p.title, l.repo;

-- One row per link host: how many links and papers point there.
CREATE VIEW links_per_host AS
SELECT host, count(*) AS n_links, count(DISTINCT paper_id) AS n_papers,
       count(*) FILTER (WHERE kind = 'repository') AS n_repositories
FROM paper_links
GROUP BY host
ORDER BY n_links DESC, host;

-- One row per metric, dataset and paper: the paper's best reported score, ranked by the metric's direction.
CREATE VIEW leaderboard AS
WITH scores AS (
    SELECT m.metric, coalesce(m.dataset, '(unspecified)') AS dataset, m.paper_id, m.value, m.unit,
           m.evidence, d.higher_is_better,
           CASE WHEN d.higher_is_better THEN -m.value ELSE m.value END AS sort_value
    FROM paper_metrics m
    JOIN metric_definitions d USING (metric)
    WHERE m.kind = 'score' AND NOT m.out_of_range AND d.higher_is_better IS NOT NULL
), best AS (
    SELECT *, row_number() OVER (PARTITION BY metric, dataset, paper_id ORDER BY sort_value) AS nth,
           count(DISTINCT paper_id) OVER (PARTITION BY metric, dataset) AS n_papers
    FROM scores
)
SELECT b.metric, b.dataset,
       rank() OVER (PARTITION BY b.metric, b.dataset ORDER BY b.sort_value) AS rank,
       b.value, b.unit, p.title, b.paper_id, b.evidence,
       CASE WHEN b.higher_is_better THEN 'higher' ELSE 'lower' END AS better,
       b.n_papers
FROM best b
JOIN papers p USING (paper_id)
WHERE b.nth = 1
ORDER BY b.metric, b.dataset = '(unspecified)', b.n_papers DESC, b.dataset, rank;

-- One row per reported result, with the paper's title next to it.
CREATE VIEW results_by_paper AS
SELECT p.title, m.metric, m.value, m.unit, m.kind, m.dataset, m.evidence, m.paper_id
FROM paper_metrics m
JOIN papers p USING (paper_id)
ORDER BY p.title, m.span_start;
