-- Code announced, not yet out: papers whose abstract promises a repository ("code will be released").
-- One row per paper and announced link; papers that also link available code are flagged.
SELECT p.title, l.url, l.repo,
       EXISTS (SELECT 1 FROM papers_with_code c WHERE c.paper_id = p.paper_id) AS also_has_code,
       p.paper_id
FROM paper_links l
JOIN papers p USING (paper_id)
WHERE l.kind = 'repository' AND l.availability = 'announced'
ORDER BY p.title, l.span_start;
