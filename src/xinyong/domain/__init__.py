"""Pure domain objects: record versions, listings, subjects, decisions and a subject's file."""
