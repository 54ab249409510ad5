"""The review service's tables: its own metadata, its own database."""

from certreg_runtime.db import service_base

Base = service_base("review")
metadata = Base.metadata
