"""book/references.bib is generated from data/studies.csv, in sync and injection-proof."""

import pandas as pd
import pybtex.database

from analysis import paths
from analysis.publish import bibliography as bib


def test_references_bib_is_in_sync_with_studies_csv():
    assert bib.bib_in_sync(), "book/references.bib is stale: run python scripts/update_bib.py"


def test_every_study_has_one_entry():
    studies = bib.studies_frame()
    entries = pybtex.database.parse_file(str(paths.BOOK / "references.bib")).entries
    assert set(entries) == set(studies["study_id"])


def test_split_citation():
    names, title, rest = bib.split_citation(
        "Sands BE, Kozarek R, Hanauer SB. Safety of natalizumab. Inflamm Bowel Dis. 2007;13:2-11."
    )
    assert names == ["Sands, B. E.", "Kozarek, R.", "Hanauer, S. B."]
    assert title == "Safety of natalizumab" and rest.startswith("Inflamm Bowel Dis")
    names, _, _ = bib.split_citation("Goessens L, Outtier A, et al.; COMBIO group. T. J.")
    assert names == ["Goessens, L.", "Outtier, A.", "others", "{COMBIO group}"]
    names, title, _ = bib.split_citation("[First author not identified]. A title. Preprint.")
    assert names == [] and title == "A title"


HOSTILE = (
    "Evil E, Doer J. <script>alert('x')</script> 100% {unbalanced} \\input{/etc/passwd} "
    "$x^2$ #1 a_b ~ & co. Journal. 2020."
)


def test_hostile_text_stays_literal():
    row = pd.Series(
        {
            "study_id": "Evil2020",
            "citation": HOSTILE,
            "year": "2020",
            "doi": "10.1234/x}evil",
            "pmid": "1 OR 1",
            "design": "RCT",
            "review_version": "living",
        }
    )
    text = bib.bib_entry(row)
    entry = pybtex.database.parse_string(text, "bibtex").entries["Evil2020"]
    assert "doi" not in entry.fields and "pmid" not in entry.fields  # unsafe: dropped
    title = entry.fields["title"]
    # every special character is escaped, so braces balance and no command survives
    assert "\\input" not in title.replace("\\textbackslash{}input", "")
    assert "\\{unbalanced\\}" in title and "100\\%" in title
    assert "\\$x\\textasciicircum{}2\\$" in title
    assert "<script>" in title  # kept as text: Sphinx escapes it in the HTML


def test_rendered_bibliography_escapes_html(tmp_path):
    """Render the hostile entry with pybtex's HTML backend: no live tag survives."""
    from pybtex.plugin import find_plugin

    row = pd.Series(
        {
            "study_id": "Evil2020",
            "citation": HOSTILE,
            "year": "2020",
            "doi": "",
            "pmid": "",
            "design": "RCT",
            "review_version": "living",
        }
    )
    data = pybtex.database.parse_string(bib.bib_entry(row), "bibtex")
    style = find_plugin("pybtex.style.formatting", "unsrt")()
    formatted = list(style.format_entries(data.entries.values()))
    out = formatted[0].text.render(find_plugin("pybtex.backends", "html")())
    assert "<script>" not in out and "&lt;script&gt;" in out
    # %, #, _, ~ and & come back exactly; braces, $, ^ and backslashes are escaped so they
    # cannot act as LaTeX markup (pybtex shows some of them with a backslash)
    assert "100%" in out and "#1 a_b ~ &amp; co" in out
    assert "passwd" in out and "unbalanced" in out


def test_journal_references_become_articles_and_the_rest_stay_misc():
    article = pybtex.database.parse_string(
        bib.bib_entry(
            {
                "study_id": "Dolinger2021",
                "citation": "Dolinger MT, et al. Dual biologic and small molecule therapy. "
                "Inflamm Bowel Dis. 2021;27(8):1210-1214.",
                "year": 2021,
                "doi": "10.1093/ibd/izaa277",
                "pmid": "33125058",
            }
        ),
        "bibtex",
    ).entries["Dolinger2021"]
    assert article.type == "article"
    assert article.fields["journal"] == "Inflamm Bowel Dis"
    assert (article.fields["volume"], article.fields["number"]) == ("27", "8")
    assert article.fields["pages"] == "1210--1214"
    assert [str(p) for p in article.persons["author"]] == ["Dolinger, M. T.", "others"]
    abstract = pybtex.database.parse_string(
        bib.bib_entry(
            {
                "study_id": "Abbas2023",
                "citation": "Abbas R, Akobeng AK. P617 Dual biologic therapy in pediatric IBD. "
                "ECCO congress abstract (year inferred 2023).",
                "year": 2023,
            }
        ),
        "bibtex",
    ).entries["Abbas2023"]
    assert abstract.type == "misc"
    assert abstract.fields["howpublished"] == "ECCO congress abstract (year inferred 2023)"
    # nothing internal (study ids, designs, review versions) is printed in the list
    text = (paths.BOOK / "references.bib").read_text(encoding="utf-8")
    assert "study id" not in text and "design case" not in text


def test_the_methods_bibliography_parses():
    """A broken entry (e.g. a merge that drops a brace) fails here, not 90 s into a build."""
    from pybtex.database import parse_file

    from analysis import paths

    entries = parse_file(paths.BOOK / "methods.bib").entries
    assert len(entries) > 0
