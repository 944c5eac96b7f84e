"""Sphinx extension: the combination pages for a stock ``jupyter-book build book``.

The book has a page per combination, generated from the data
(:func:`analysis.publish.chapters.combinations.write_combination_pages`). ``make book``
(``scripts/build_book.py``) writes them into its own executed copy of the book, so this
extension does nothing there. A stock ``jupyter-book build book`` has no such step: for
it, the pages are written into ``book/combinations/`` (git-ignored) before Sphinx looks
for documents, so that the table of contents' ``combinations/*`` finds them. Pages of
combinations no longer in the data are removed, and a page whose text has not changed is
not rewritten (Sphinx does not re-execute it).
"""

from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

#: The folder of generated pages, relative to the book (the ``_toc.yml`` glob).
FOLDER = "combinations"


def write_pages(app, config):
    """Write the combination pages into the repository's ``book/combinations/``."""
    from analysis import paths

    srcdir = Path(app.srcdir).resolve()
    if srcdir != (paths.ROOT / "book").resolve():
        return  # make book's own copy: its pages are already there
    from analysis.datapackage import load_dataset
    from analysis.publish.chapters.combinations import write_combination_pages

    written = write_combination_pages(load_dataset(), srcdir / FOLDER)
    logger.info("dtt_generated_pages: %d combination pages in %s/", len(written), FOLDER)


def setup(app):
    """Register :func:`write_pages` before Sphinx looks for the book's documents."""
    app.connect("config-inited", write_pages, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
