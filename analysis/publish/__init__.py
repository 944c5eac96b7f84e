"""What readers get, from the numbers of :mod:`analysis.review`.

:mod:`analysis.publish.chapters` has one module per page of the book, each building its
:class:`~analysis.publish.page.Page`; beside it are the pieces several pages share
(wording, forest plots, the summary of findings, the searches, glue, cite blocks,
releases and What's New, versions, downloads, the bibliography). Nothing imports this
layer.
"""
