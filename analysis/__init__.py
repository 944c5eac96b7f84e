"""dtt-living-review analysis package: data loading, pooling of proportions, tables, figures."""

from . import paths

__version__ = "0.1.0"

__all__ = ["paths", "__version__"]
