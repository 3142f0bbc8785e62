-- Papers seen on several pages: papers listed on at least `min_pages` distinct page files, most-listed first.
-- One row per paper, with the page files it appears on and the earliest listing date among them.
-- param min_pages = 2: the least number of distinct page files a paper must appear on
SELECT p.title,
       count(DISTINCT o.file_name) AS n_pages,
       list(DISTINCT o.file_name ORDER BY o.file_name) AS pages,
       min(s.listing_date) AS first_listed,
       p.paper_id
FROM papers p
JOIN paper_occurrences o USING (paper_id)
JOIN sources s USING (source_id)
GROUP BY p.paper_id, p.title
HAVING count(DISTINCT o.file_name) >= $min_pages::INTEGER
ORDER BY n_pages DESC, p.title;
