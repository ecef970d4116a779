"""Pictures with matplotlib (imported lazily; Agg backend when there is no display).

Every function returns the matplotlib Figure and saves it when given ``path=``.

    training.py  plot_history, plot_decision_boundary, plot_confusion_matrix
    graph.py     draw_graph, to_dot (the computation graph; no graphviz binary needed)
    recorder.py  Recorder (gradient flow, activation histograms, boundaries while training)
"""
from tinynn.viz.graph import collect_graph, draw_graph, to_dot
from tinynn.viz.recorder import Recorder
from tinynn.viz.training import plot_confusion_matrix, plot_decision_boundary, plot_history

__all__ = [
    "plot_history", "plot_decision_boundary", "plot_confusion_matrix",
    "draw_graph", "to_dot", "collect_graph", "Recorder",
]
