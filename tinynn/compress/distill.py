"""Knowledge distillation (Hinton, Vinyals & Dean 2015, "Distilling the Knowledge in a Neural Network").

The student learns from the teacher's *soft targets* p_T = softmax(z_teacher / T): at a
temperature T > 1 the teacher's small probabilities ("a 7 looks a bit like a 1") become
visible. The soft term is KL(p_T ‖ q_T) with q_T = softmax(z_student / T), multiplied by T²
because its gradient w.r.t. the student's logits scales as 1/T² (Hinton et al. §2), so the
soft and hard terms keep their relative weight when T changes::

    loss = alpha · T² · KL(p_T ‖ q_T)  +  (1 − alpha) · CE(z_student, y)

KL is summed over classes and averaged over the batch (PyTorch's ``reduction="batchmean"``).
The teacher's logits are treated as constants (detached).
"""
from __future__ import annotations

from tinynn.nn.module import Module
from tinynn.ops.activation import log_softmax
from tinynn.ops.fused.loss import cross_entropy
from tinynn.tensor import Tensor


def _check_logits(where, student, teacher):
    for name, t in (("student_logits", student), ("teacher_logits", teacher)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{where}: {name} must be a Tensor, got {type(t).__name__}")
    if student.ndim != 2 or tuple(student.shape) != tuple(teacher.shape):
        raise ValueError(f"{where}: student and teacher logits must both be (N, C), got "
                         f"{tuple(student.shape)} and {tuple(teacher.shape)}")


def kl_div_with_temperature(student_logits, teacher_logits, T=1.0):
    """KL(softmax(teacher/T) ‖ softmax(student/T)), summed over classes, mean over the batch.

    Equals ``torch.nn.functional.kl_div(log_softmax(s/T), log_softmax(t/T), reduction="batchmean",
    log_target=True)``.

    >>> import tinynn as tn
    >>> z = tn.tensor([[1.0, 2.0, 3.0]])
    >>> kl_div_with_temperature(z, z, T=2.0).item()      # identical distributions
    0.0
    """
    _check_logits("kl_div_with_temperature", student_logits, teacher_logits)
    if not T > 0:
        raise ValueError(f"kl_div_with_temperature: temperature T must be > 0, got {T!r}")
    log_q = log_softmax(student_logits / T, dim=1)
    log_p = log_softmax(teacher_logits.detach() / T, dim=1)
    return (log_p.exp() * (log_p - log_q)).sum(dim=1).mean()


def distillation_loss(student_logits, teacher_logits, target=None, T=4.0, alpha=0.9):
    """Hinton et al.'s loss: ``alpha · T² · KL(p_T ‖ q_T) + (1 − alpha) · CE(student, target)``.

    ``target`` (class indices) may be None when there are no labels (then alpha must be 1).

    >>> import tinynn as tn
    >>> s, t, y = tn.tensor([[0.0, 0.0]]), tn.tensor([[0.0, 0.0]]), tn.tensor([1])
    >>> round(distillation_loss(s, t, y, T=3.0, alpha=0.5).item(), 4)   # KL 0, CE log 2, halved
    0.3466
    """
    _check_logits("distillation_loss", student_logits, teacher_logits)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"distillation_loss: alpha must be in [0, 1] (the weight of the soft term), got {alpha!r}")
    if target is None and alpha != 1.0:
        raise ValueError("distillation_loss: no target given, so only the soft term can be used: pass alpha=1.0")
    soft = kl_div_with_temperature(student_logits, teacher_logits, T) * (T * T)
    if alpha == 1.0:
        return soft
    return soft * alpha + cross_entropy(student_logits, target) * (1.0 - alpha)


class DistillationLoss(Module):
    """``distillation_loss`` as a module holding T and alpha: ``loss_fn(student, teacher, y)``.

    >>> import tinynn as tn
    >>> loss_fn = DistillationLoss(T=2.0, alpha=1.0)
    >>> loss_fn(tn.tensor([[1.0, 0.0]]), tn.tensor([[1.0, 0.0]])).item()
    0.0
    """

    task = "classification"

    def __init__(self, T=4.0, alpha=0.9):
        super().__init__()
        if not T > 0:
            raise ValueError(f"DistillationLoss: temperature T must be > 0, got {T!r}")
        self.T, self.alpha = float(T), float(alpha)

    def forward(self, student_logits, teacher_logits, target=None):
        return distillation_loss(student_logits, teacher_logits, target, T=self.T, alpha=self.alpha)

    def extra_repr(self):
        return f"T={self.T}, alpha={self.alpha}"
