-- Results of one paper: every result its abstract reports, in the order it reports them.
-- The title matches case-insensitively anywhere in it, so a distinctive word or two is enough.
-- param title: the paper's title, or a part of it
SELECT p.title, m.metric, m.value, m.unit, m.kind, m.dataset, m.evidence, m.out_of_range, p.paper_id
FROM paper_metrics m
JOIN papers p USING (paper_id)
WHERE contains(lower(p.title), lower($title))
ORDER BY p.title, m.span_start;
