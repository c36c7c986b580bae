"""The HTTP layer: FastAPI routes, the one error mapping, cookies, the static UI."""
