"""HTTP layer: one FastAPI router per resource, with its pydantic schemas beside it."""
