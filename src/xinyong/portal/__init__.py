"""The public portal: server-rendered pages for the public (search, a subject's public view, the oversight
dashboard), for subjects (their own file, objections, repairs) and for the operator (review queue,
objections, batches); served by the HTTP app next to the API."""
