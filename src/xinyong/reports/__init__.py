"""Credit reports: a subject's file, cut to a view by due process, rendered as a PDF with the audit
checkpoint a reader can verify it against."""
