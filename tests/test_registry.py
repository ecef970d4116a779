"""One definition per op: F.x, tn.x and Tensor.x are the same function (issue 11)."""
import tinynn as tn
import tinynn.functional as F
from tinynn import ops
from tinynn.tensor import Tensor


def test_functional_is_the_registry():
    assert set(ops.FUNCTIONS) <= set(dir(F))
    for name, fn in ops.FUNCTIONS.items():
        assert getattr(F, name) is fn, name


def test_top_level_is_the_registry_minus_nn_only():
    for name, fn in ops.TOP_LEVEL.items():
        assert getattr(tn, name) is fn, name
    for name in ops.NN_ONLY:
        assert name in ops.FUNCTIONS, f"NN_ONLY lists {name}, which no family defines"
        assert getattr(tn, name, None) is not ops.FUNCTIONS[name] or name in ("tensor",), name


def test_tensor_methods_are_the_registry_functions():
    for name in ops.TENSOR_METHODS:
        assert name in ops.FUNCTIONS, f"TENSOR_METHODS lists {name}, which no family defines"
        assert getattr(Tensor, name) is ops.FUNCTIONS[name], name


def test_in_place_methods_exist_for_every_listed_op():
    for name in ops.IN_PLACE:
        assert name in ops.FUNCTIONS
        assert callable(getattr(Tensor, name + "_"))


def test_every_family_lists_only_names_it_defines():
    for module in ops.FAMILIES:
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.__all__ lists missing {name}"


def test_nn_functional_is_where_pytorch_has_it():
    import importlib

    import tinynn as tn
    assert tn.nn.functional is tn.functional is importlib.import_module("tinynn.nn.functional")
