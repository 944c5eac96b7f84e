"""What readers get, from the numbers of :mod:`analysis.review`.

Tables, figures, facts and glue for the book, cite blocks, releases and What's New,
downloads and the bibliography. Nothing imports this layer.
"""
