-- Papers with code: every paper whose abstract links an available code repository, by title.
-- One row per paper and repository; `announced` links ("code coming soon") are left out, see code_announced.
SELECT title, repo, url, paper_id
FROM papers_with_code
ORDER BY title, repo;
