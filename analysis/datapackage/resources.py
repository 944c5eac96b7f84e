"""The one list of the data package's tables (resources of ``data/datapackage.json``)."""

#: The study-level tables, loaded into :class:`~analysis.datapackage.load.Dataset`, in
#: report order. Each must exist; every other resource that ``datapackage.json`` declares
#: (releases, PRISMA counts, certainty overrides, risk of bias, release snapshots) is
#: validated when its file exists.
TABLES = ("drugs", "regimens", "studies", "arms", "outcomes", "published")
#: Every table of the evidence, loaded onto the Dataset and covered by its fingerprint
#: (:func:`analysis.datapackage.load.fingerprint`): the study-level tables, then the
#: searches with their queries and records, the published reviews' PRISMA counts, risk of
#: bias, certainty overrides and prior therapy. Not the release history or its snapshots.
EVIDENCE_TABLES = (
    *TABLES,
    "searches",
    "search_queries",
    "search_records",
    "prisma",
    "risk_of_bias",
    "grade_overrides",
    "prior_therapy",
    "indirect_populations",
)
#: Tables that must have at least one data row.
NONEMPTY_TABLES = ("drugs", "regimens", "studies", "arms", "outcomes")
#: Files of ``data/`` that are not tables: the descriptor, the codebook, shared schemas.
NOT_TABLES = ("datapackage.json", "README.md")
#: Folder of table schemas shared by several resources (e.g. every release snapshot).
SCHEMA_FOLDER = "schemas"
