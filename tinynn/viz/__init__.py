"""Pictures with matplotlib (imported lazily; Agg backend when there is no display).

Every function returns the matplotlib Figure and saves it when given ``path=``.

    training.py  plot_history, plot_decision_boundary, plot_confusion_matrix
"""
from tinynn.viz.training import plot_confusion_matrix, plot_decision_boundary, plot_history

__all__ = [
    "plot_history", "plot_decision_boundary", "plot_confusion_matrix",
]
