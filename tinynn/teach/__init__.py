"""The teacher's kit: exercises cut out of the engine, a student copy, and an autograder.

Solution regions are marked in the sources with comments (``# BEGIN SOLUTION <id>``, hints as
``# HINT: ...`` lines, ``# END SOLUTION``); the teacher's copy runs unchanged. Commands::

    python -m tinynn.teach list                    # the exercises, where they are, their hints
    python -m tinynn.teach make-student OUT_DIR    # a copy with every region replaced by a stub
    python -m tinynn.teach make-student OUT_DIR --only mul_backward,sum_backward
    python -m tinynn.teach grade DIR               # a score per exercise (exit 0 when all pass)

Each exercise has its own test file in ``tinynn/teach/grading/`` that calls only that
exercise's code (a Function's forward and backward on float64 arrays, or a tutorial's function
loaded on its own, against central differences and values by hand), so a student copy fails
exactly on the stubs left in it.

>>> from tinynn.teach import list_exercises
>>> sorted(list_exercises())  # doctest: +NORMALIZE_WHITESPACE
['cross_entropy_backward', 'linear_backward', 'matmul_backward', 'mlp_backward', 'mul_backward',
 'neuron_gradients', 'sigmoid_backward', 'sum_backward', 'topological_order']
"""
from tinynn.teach.grader import format_scores, grade, grading_tests
from tinynn.teach.regions import Region, RegionError, find_regions, stub_regions
from tinynn.teach.student import list_exercises, make_student

__all__ = ["list_exercises", "make_student", "grade", "grading_tests", "format_scores", "find_regions",
           "stub_regions", "Region", "RegionError"]
