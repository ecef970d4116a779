"""The README's code must run as printed, and CI must run the README's test command."""
import linecache
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
GUIDE = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")  # the README's longer companion


def _python_blocks(text=README):
    return re.findall(r"```python\n(.*?)```", text, re.S)


def _run_block(number, block):
    """Run one README block under a pseudo file name that holds exactly that block.

    Compiling it as "README.md" sent anything that reads the source back (hypothesis'
    inspect.getsource, tracebacks, tn.detect_anomaly's "created at") to the real README.md,
    whose markdown the Python 3.12+ tokenizer rejects. A "<...>" name registered in
    linecache is never looked up on disk and returns the block itself.
    """
    filename = f"<README.md, python block {number}>"
    # kept in linecache after the run, so that a failure's traceback shows the README line
    linecache.cache[filename] = (len(block), None, block.splitlines(keepends=True), filename)
    exec(compile(block, filename, "exec"), {"__name__": "__readme__"})


def test_readme_python_blocks_run():
    blocks = _python_blocks()
    assert blocks, "the README should show example code"
    for number, block in enumerate(blocks, start=1):
        _run_block(number, block)


def test_guide_python_blocks_run():
    blocks = _python_blocks(GUIDE)
    assert blocks, "docs/guide.md should show example code"
    for number, block in enumerate(blocks, start=1):
        _run_block(100 + number, block)


def test_block_source_is_the_block_itself():
    """What inspect reads back for a README function is its own block, not README.md."""
    import inspect

    namespace = {}
    block = "def shown_in_readme(x):\n    return x + 1  # ``` and 'quotes are fine\n"
    filename = "<README.md, python block test>"
    linecache.cache[filename] = (len(block), None, block.splitlines(keepends=True), filename)
    try:
        exec(compile(block, filename, "exec"), namespace)
        assert inspect.getsource(namespace["shown_in_readme"]) == block
    finally:
        linecache.cache.pop(filename, None)


def test_two_setup_commands_and_ci_runs_the_test_command():
    commands = re.findall(r"```bash\n(.*?)\n```", README, re.S)
    install_and_demo, test_command = commands[0].strip(), commands[1].strip()
    assert "python -m tinynn" in install_and_demo
    assert "pytest" in test_command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines(), ".ci/run must run exactly the README's test command"
