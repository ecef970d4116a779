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


def test_gpt_blas_note_splits_the_gap_from_the_figures_given():
    ms = lambda v: {"median": v / 1e3, "p25": v / 1e3, "p75": v / 1e3}  # noqa: E731
    results = {"gemm_gpt": {"products": 51, "rows": 768, "numpy": ms(28.0), "torch": ms(24.0),
                            "numpy/torch": {"median": 28 / 24, "p25": 1.1, "p75": 1.2}},
               "rows": [{"name": "GPT step (x)", "tinynn": ms(70.0), "torch": ms(50.0)}]}
    note = report.gpt_blas_note(results)
    assert "+20.0 ms against PyTorch" in note and "+4.0 ms (20% of it)" in note  # 4 of the 20 ms
    assert report.gpt_blas_note({"rows": results["rows"]}) == ""  # no GEMM section: no note
