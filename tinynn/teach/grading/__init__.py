"""The grading tests: one file per exercise, ``test_<exercise id>.py``.

Each test calls the exercise's own code on small float64 arrays and compares it with central
differences of the op's forward and with values worked out by hand, so it passes whatever
correct solution a student writes, and never depends on another exercise.
"""
