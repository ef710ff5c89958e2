"""The project's I/O besides the warehouse: feed and reference files in, mail out.

`tasks/` stays pure; flows call these modules to read what users give and to deliver
what the pipeline sends."""
