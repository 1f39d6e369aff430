"""due_process."""
