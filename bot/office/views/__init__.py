"""One module per page; each has ``routes(office) -> list[Route]``."""
