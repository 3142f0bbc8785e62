"""One dynamic partition per page file; keys come from `pipeline.sources.partition_key`."""

import dagster as dg

page_files_partitions = dg.DynamicPartitionsDefinition(name="page_files")
