-- Quarantined input: what the parser set aside and why, per page file (answers "where is my paper?").
-- One row per page file and reason, with the lines involved and the first rejected line as a sample.
SELECT file_name, reason,
       count(*) AS n_spans,
       sum(n_lines)::BIGINT AS n_lines,
       min(line_start) AS first_line,
       left(arg_min(raw_text, line_start), 120) AS sample
FROM quarantine
GROUP BY file_name, reason
ORDER BY file_name, n_lines DESC, reason;
