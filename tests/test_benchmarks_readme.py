"""The README's performance table is the summary of the committed benchmark report."""
import json

from benchmarks import readme, report


def _committed():
    return json.loads(readme.RESULTS.read_text(encoding="utf-8"))


def test_readme_table_is_the_committed_report():
    text = readme.README.read_text(encoding="utf-8")
    assert readme.with_block(text, _committed()) == text, (
        "README.md's performance table differs from benchmarks/results.json: run "
        "`python -m benchmarks --readme` (or a full `--update-results` run)")


def test_readme_table_rows_are_results_md_rows():
    # the same rows, verdicts included, as the committed report renders them (not a copy kept by hand)
    rows = [line for line in report.summary(_committed()) if line.startswith("| ") and "---" not in line]
    results_md = (readme.HERE / "results.md").read_text(encoding="utf-8")
    readme_text = readme.README.read_text(encoding="utf-8")
    assert len(rows) >= 9  # the MLP sizes, per-op, the layers, memory
    for row in rows:
        assert row in results_md and row in readme_text


def test_with_block_replaces_only_between_markers():
    results = _committed()
    text = f"before\n{readme.BEGIN}\nstale\n{readme.END}\nafter\n"
    new = readme.with_block(text, results)
    assert new.startswith("before\n") and new.endswith("\nafter\n") and "stale" not in new
    assert readme.with_block(new, results) == new  # idempotent
