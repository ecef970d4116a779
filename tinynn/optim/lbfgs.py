"""L-BFGS, a port of torch.optim.LBFGS (itself after minFunc), with the same state and steps."""
from __future__ import annotations

import math

from tinynn import backend
from tinynn.optim.optimizer import Optimizer, check_choice, check_finite, check_lr, check_number

_STATE = ("func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro", "H_diag",
          "prev_flat_grad", "prev_loss", "al")


class LBFGS(Optimizer):
    """Limited-memory BFGS. ``step(closure)`` runs up to ``max_iter`` iterations; ``closure``
    clears the gradients, computes the loss, calls backward and returns the loss. It keeps
    the last ``history_size`` curvature pairs (s, y) and takes steps of ``lr`` along the
    two-loop direction, or where a strong-Wolfe line search puts them
    (``line_search_fn="strong_wolfe"``). One parameter group only, as PyTorch; frozen
    parameters (requires_grad False) count as zero gradient and never move.

    >>> import tinynn as tn
    >>> from tinynn import nn
    >>> w = nn.Parameter(tn.tensor([3.0, -2.0], dtype=tn.float64))
    >>> opt = LBFGS([w], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = ((w - 1) ** 2).sum()
    ...     loss.backward()
    ...     return loss
    >>> _ = opt.step(closure); [round(v, 6) for v in w.tolist()]
    [1.0, 1.0]
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        if max_eval is None and isinstance(max_iter, int) and not isinstance(max_iter, bool):
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change, history_size=history_size,
                                      line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups): "
                             "pass one list of parameters")
        self._params = self.param_groups[0]["params"]

    def _check_group(self, group):
        check_lr("LBFGS", group["lr"])
        for key in ("max_iter", "max_eval", "history_size"):
            value = group[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"LBFGS: {key} must be an integer >= 1, got {value!r}")
        check_finite("LBFGS", "tolerance_grad", group["tolerance_grad"])
        check_finite("LBFGS", "tolerance_change", group["tolerance_change"])
        check_choice("LBFGS", "line_search_fn", group["line_search_fn"], (None, "strong_wolfe"))

    def add_param_group(self, param_group):
        """Allowed only for the first group (LBFGS has one)."""
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    # -- the parameters as one flat vector ------------------------------------------------
    def _numel(self):
        return sum(math.prod(p.shape) for p in self._params)

    def _gather_flat_grad(self):
        """Every gradient, flattened and concatenated (zeros where there is none, or frozen)."""
        xp = backend.xp_of(self._params[0]._data)
        for p in self._params:
            if p._grad is not None and p._requires_grad:
                self._check_grad(p)  # all checked before the caller moves anything
        views = [p._grad.reshape(-1) if p._grad is not None and p._requires_grad
                 else xp.zeros(math.prod(p.shape), dtype=p.dtype) for p in self._params]
        return xp.concatenate(views)

    def _add_grad(self, step_size, update):
        """p += step_size · (p's slice of update), in place, for every trainable parameter."""
        offset = 0
        for p in self._params:
            n = math.prod(p.shape)
            if p._requires_grad:
                p._data += step_size * update[offset:offset + n].reshape(p.shape)
            offset += n

    def _directional_evaluate(self, closure, x, t, d):
        """Loss and flat gradient at x + t·d (the parameters are put back to x afterwards)."""
        self._add_grad(t, d)
        loss = float(self._evaluate(closure))
        flat_grad = self._gather_flat_grad()
        for p, saved in zip(self._params, x):
            p._data[...] = saved
        return loss, flat_grad

    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations on ``closure``; returns its first loss."""
        if closure is None:
            raise ValueError("LBFGS.step needs a closure: a function that clears the gradients, "
                             "computes the loss, calls loss.backward() and returns the loss")
        group = self.param_groups[0]
        self._check_group(group)
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        xp = backend.xp_of(self._params[0]._data)

        orig_loss = self._evaluate(closure)
        loss = float(orig_loss)
        flat_grad = self._gather_flat_grad()
        state = self.state[self._params[0]]  # all of LBFGS's state sits with the first parameter
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        state["func_evals"] += 1
        current_evals = 1
        if float(xp.abs(flat_grad).max()) <= tolerance_grad:
            return orig_loss  # already optimal

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag, prev_flat_grad, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            # -- the direction: steepest descent first, then the two-loop recursion
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, H_diag = [], [], [], 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:  # keep the pair only if the curvature is positive
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / float(y @ y)
                al = state.setdefault("al", [None] * history_size)
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = float(old_stps[i] @ q) * ro[i]
                    q = q - al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(len(old_dirs)):
                    be_i = float(old_dirs[i] @ r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            # -- the step length
            t = min(1.0, 1.0 / float(xp.abs(flat_grad).sum())) * lr if state["n_iter"] == 1 else lr
            gtd = float(flat_grad @ d)  # directional derivative
            if gtd > -tolerance_change:
                break
            ls_func_evals = 0
            if group["line_search_fn"] == "strong_wolfe":
                x_init = [p._data.copy() for p in self._params]
                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    lambda x, t, d: self._directional_evaluate(closure, x, t, d),
                    x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = float(xp.abs(flat_grad).max()) <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:  # re-evaluate, unless this was the last iteration
                    loss = float(self._evaluate(closure))
                    flat_grad = self._gather_flat_grad()
                    opt_cond = float(xp.abs(flat_grad).max()) <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            # -- stop?
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if float(xp.abs(d * t).max()) <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    # -- checkpoints: the state is flat vectors, lists of them and numbers ----------------
    def _loaded_param_state(self, p, group, entries, where):
        if p is not self._params[0]:
            raise ValueError(f"{where}: LBFGS keeps its state with the first parameter only")
        unexpected = [k for k in entries if k not in _STATE]
        if unexpected:
            raise ValueError(f"{where}: unexpected LBFGS state {unexpected}")
        n, dtype = self._numel(), p.dtype
        device = backend.device_of(p._data)

        def vector(value, key):
            if not backend.is_array(value) or tuple(value.shape) != (n,) or value.dtype.kind not in "iuf":
                raise ValueError(f"{where}: LBFGS state {key!r} must be a vector of {n} numbers, got {value!r}")
            return backend.to_device(value, device).astype(dtype, copy=True)

        def number(value, key):
            value = value.item() if backend.is_array(value) and value.ndim == 0 else value
            if value is None and key in ("t", "H_diag", "prev_loss", "al"):
                return None
            check_number("LBFGS.load_state_dict", key, value, low=-math.inf)
            return value

        loaded = {}
        for key, value in entries.items():
            if key in ("d", "prev_flat_grad"):
                loaded[key] = None if value is None else vector(value, key)
            elif key in ("old_dirs", "old_stps"):
                loaded[key] = [vector(v, key) for v in value]
            elif key in ("ro", "al"):
                loaded[key] = [number(v, key) for v in value]
            else:
                loaded[key] = number(value, key)
        if len(loaded.get("old_dirs", [])) != len(loaded.get("old_stps", [])) or \
                len(loaded.get("old_dirs", [])) != len(loaded.get("ro", loaded.get("old_dirs", []))):
            raise ValueError(f"{where}: LBFGS state old_dirs, old_stps and ro must have one entry each per pair")
        return loaded


# ------------------------------------------------------------------------------ line search
def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to ``bounds``."""
    xmin_bound, xmax_bound = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Find t satisfying the strong Wolfe conditions along d (torch's port of minFunc):
    bracket a step, then zoom in by cubic interpolation. Returns (f, g, t, evaluations)."""
    xp = backend.xp_of(d)
    d_norm = float(xp.abs(d).max())
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:  # bracketing phase
        too_far = f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev)
        if not too_far and abs(gtd_new) <= -c2 * gtd:  # t satisfies the strong Wolfe conditions
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if too_far or gtd_new >= 0:  # the minimum lies between t_prev and t
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        min_step, max_step = t + 0.01 * (t - t_prev), t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
    if ls_iter == max_ls:  # reached the evaluation budget
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:  # zoom phase
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        # keep t away from the bracket's ends unless progress stalls (minFunc's safeguard)
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals
