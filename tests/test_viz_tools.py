"""Learner tools in tinynn.viz: the computation-graph picture / DOT export and the Recorder."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import tinynn as tn  # noqa: E402
import tinynn.functional as F  # noqa: E402
from tinynn import nn  # noqa: E402
from tinynn.viz import Recorder, collect_graph, draw_graph, to_dot  # noqa: E402


def _mlp_loss():
    x = tn.Tensor(np.ones((4, 3)), name="x")
    w = tn.Tensor(np.ones((2, 3)), requires_grad=True, name="W")
    b = tn.Tensor(np.zeros(2), requires_grad=True, name="b")
    return (F.sigmoid(F.linear(x, w, b)) * 2).sum(), (x, w, b)


def test_unnamed_leaves_are_labelled_param_only_when_they_are_parameters():
    layer = nn.Linear(3, 2)
    a = tn.tensor([[1.0, 2.0, 3.0]], requires_grad=True)  # requires grad, but not a Parameter
    nodes, _ = collect_graph(layer(a * 2).sum())
    leaves = sorted(n["label"] for n in nodes if n["kind"] in ("leaf", "param"))
    assert leaves == ["2", "input", "param", "param"]  # the constant, a, weight, bias


def test_collect_graph_nodes_edges_and_shapes():
    loss, _ = _mlp_loss()
    nodes, edges = collect_graph(loss)
    labels = [n["label"] for n in nodes]
    assert labels.count("Linear") == 1 and "Sigmoid" in labels and "Mul" in labels and "Sum" in labels
    kinds = {n["label"]: n["kind"] for n in nodes}
    assert kinds["x"] == "leaf" and kinds["W"] == "param" and kinds["2"] == "leaf"
    assert nodes[-1]["kind"] == "output"
    by_id = {n["id"]: n for n in nodes}
    shapes = {(by_id[s]["label"], by_id[d]["label"]): shape for s, d, shape in edges}
    assert shapes[("x", "Linear")] == "(4, 3)"
    assert shapes[("W", "Linear")] == "(2, 3)"
    assert shapes[("b", "Linear")] == "(2,)"
    assert shapes[("Linear", "Sigmoid")] == "(4, 2)"
    assert shapes[("Sum", "output")] == "()"
    for src, dst, _ in edges:  # every edge goes left to right
        assert by_id[src]["depth"] < by_id[dst]["depth"]


def test_reused_tensor_gives_two_edges_and_shared_subgraph_one_node():
    a = tn.tensor([1.0, 2.0], requires_grad=True)
    h = a.tanh()
    nodes, edges = collect_graph((h * h + h).sum())
    assert [n["label"] for n in nodes].count("Tanh") == 1
    tanh_id = next(n["id"] for n in nodes if n["label"] == "Tanh")
    assert sum(1 for s, _, _ in edges if s == tanh_id) == 3


def test_to_dot_is_valid_looking_text():
    loss, _ = _mlp_loss()
    dot = to_dot(loss)
    assert dot.startswith("digraph tinynn {") and dot.rstrip().endswith("}")
    assert '[label="Linear", shape=box]' in dot
    assert 'label="(4, 3)"' in dot
    assert dot.count("->") == len(collect_graph(loss)[1])


def test_draw_graph_saves_png(tmp_path):
    loss, _ = _mlp_loss()
    path = tmp_path / "graph.png"
    fig = draw_graph(loss, path=path, title="a layer")
    assert path.stat().st_size > 1000
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"Linear", "Sigmoid", "(4, 2)", "W"} <= texts
    matplotlib.pyplot.close(fig)


def test_graph_after_backward_explains_the_fix():
    loss, _ = _mlp_loss()
    loss.backward()
    with pytest.raises(ValueError, match="before backward"):
        to_dot(loss)


def test_graph_of_a_leaf_and_bad_input():
    t = tn.tensor([1.0], requires_grad=True)
    nodes, edges = collect_graph(t)
    assert [n["kind"] for n in nodes] == ["param", "output"] and edges == [(0, 1, "(1,)")]
    with pytest.raises(TypeError):
        collect_graph(np.ones(3))


def test_recorder_gradient_stats_are_mean_and_max_abs(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    rec = Recorder(model)
    x = tn.randn(8, 2)
    for step in range(3):
        loss = (model(x) ** 2).mean()
        model.zero_grad()
        loss.backward()
        rec.record_grads(step)
    assert rec.grad_steps == [0, 1, 2]
    assert list(rec.grad_stats) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    g = np.abs(model[0].weight.grad.numpy())
    assert rec.grad_stats["0.weight"]["mean"][-1] == pytest.approx(float(g.mean()))
    assert rec.grad_stats["0.weight"]["max"][-1] == pytest.approx(float(g.max()))
    rec.plot_gradient_flow(path=tmp_path / "flow.png")
    rec.plot_gradient_bars(path=tmp_path / "bars.png")
    assert (tmp_path / "flow.png").exists() and (tmp_path / "bars.png").exists()
    matplotlib.pyplot.close("all")


def test_recorder_missing_grad_is_nan_and_weights_only():
    w = tn.tensor([[1.0]], requires_grad=True)
    b = tn.tensor([0.0], requires_grad=True)
    rec = Recorder({"w": w, "fc.bias": b}, weights_only=True)
    rec.record_grads()
    assert list(rec.grad_stats) == ["w"] and np.isnan(rec.grad_stats["w"]["mean"][0])
    with pytest.raises(ValueError, match="no parameters"):
        Recorder().record_grads()


def test_recorder_activations_sampled_and_plotted(tmp_path):
    rec = Recorder(max_values=100)
    rec.record_activations(0, hidden=tn.randn(50, 10), out=np.arange(5.0))
    rec.record_activations(1, hidden=tn.randn(50, 10))
    assert len(rec.activations["hidden"]) == 2 and rec.activations["hidden"][0][1].size == 100
    assert rec.activations["out"][0][1].tolist() == [0, 1, 2, 3, 4]
    rec.plot_activations(path=tmp_path / "acts.png")
    assert (tmp_path / "acts.png").exists()
    matplotlib.pyplot.close("all")


def test_recorder_boundary_classes(device, tmp_path):
    x = tn.tensor([[-1.0, 0.0], [1.0, 0.0]], device=device)
    rec = Recorder()
    # class = argmax of (−x0, x0): the left half is class 0, the right half class 1
    rec.record_boundary(lambda pts: tn.cat([-pts[:, :1], pts[:, :1]], axis=1), x, [0, 1], step=0, resolution=11)
    step, xx, yy, classes = rec.boundaries[0]
    assert classes.shape == xx.shape == (11, 11)
    assert (classes[xx < -0.01] == 0).all() and (classes[xx > 0.01] == 1).all()
    rec.record_boundary(lambda pts: pts[:, 1] - 0.25, x, step=1, resolution=11)  # a logit: class = score > 0
    assert (rec.boundaries[1][3][rec.boundaries[1][2] > 0.3] == 1).all()
    rec.plot_boundaries(path=tmp_path / "b.png")
    assert (tmp_path / "b.png").exists()
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        rec.record_boundary(lambda p: p, tn.ones(3, 3), step=2)
    matplotlib.pyplot.close("all")


def test_recorder_smoothing_is_a_moving_average(tmp_path):
    rec = Recorder({"w": tn.tensor([1.0], requires_grad=True)})
    for step, value in enumerate([1.0, 3.0, 5.0, 7.0]):
        rec.parameters[0][1].grad = tn.tensor([value])  # float32, the parameter's dtype
        rec.record_grads(step)
    steps, means, maxes = rec._smoothed(rec.grad_stats["w"], 2)
    assert steps.tolist() == [1, 2, 3] and means.tolist() == [2.0, 4.0, 6.0] and maxes.tolist() == [2.0, 4.0, 6.0]
    rec.plot_gradient_flow(path=tmp_path / "f.png", smooth=2)
    matplotlib.pyplot.close("all")
