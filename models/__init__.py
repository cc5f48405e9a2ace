"""SQLAlchemy 2 tables. Importing this package registers every table on ``Base.metadata``."""

from models.base import Base

__all__ = ["Base"]
