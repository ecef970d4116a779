"""Root conftest: names every doctest in the package may use."""
import numpy as np
import pytest

import tinynn as tn


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    doctest_namespace["np"] = np
    doctest_namespace["tn"] = tn
