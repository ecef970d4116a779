"""The error function and GELU, the Transformer's activation: two primitives with their derivatives.

GELU(x) = x · Φ(x), where Φ(x) = ½ (1 + erf(x/√2)) is the standard normal CDF (Hendrycks &
Gimpel, 2016). NumPy has no ``erf``, so it is computed here, to the precision of the dtype:

* float64 (gradient checks, oracles): the rational approximations of FreeBSD's ``s_erf.c``
  (SunPro's fdlibm, notice below): four ranges of |x|, each a ratio of two short polynomials,
  within about one unit in the last place (measured: 1.1e-16 against ``math.erf``).
* float32 (training): Eigen's single-precision erf, x·α(x²)/β(x²) on [-4, 4] (erf is ±1 in
  float32 beyond): only multiplies and adds, no ``exp`` (which costs ~40 multiplies in NumPy),
  within 4.5e-7 of ``math.erf`` (about 4 float32 ulps).

    ====================================================
    Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
    Developed at SunPro, a Sun Microsystems, Inc. business.
    Permission to use, copy, modify, and distribute this
    software is freely granted, provided that this notice
    is preserved.
    ====================================================

>>> import tinynn as tn
>>> round(erf(tn.tensor([0.5], dtype=tn.float64)).item(), 15)     # math.erf(0.5) = 0.5204998778130465
0.520499877813047
"""
from __future__ import annotations

import math

from tinynn import backend
from tinynn.ops.blockwise import by_blocks
from tinynn.tensor import Function

# erf(x) = x + x·P(x²)/Q(x²) on |x| < 0.84375
_PP = (1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
       -5.77027029648944159157e-03, -2.37630166566501626084e-05)
_QQ = (1.0, 3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
       1.32494738004321644526e-04, -3.96022827877536812320e-06)
# erf(x) = erx + P(s)/Q(s), s = |x| - 1, on 0.84375 <= |x| < 1.25
_ERX = 8.45062911510467529297e-01
_PA = (-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
       3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02,
       -2.16637559486879084300e-03)
_QA = (1.0, 1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
       1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02)
# erfc(x) = exp(-x² - 0.5625 + R(s)/S(s)) / x, s = 1/x², on 1.25 <= |x| < 1/0.35 ...
_RA = (-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01,
       -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02,
       -8.12874355063065934246e+01, -9.81432934416914548592e+00)
_SA = (1.0, 1.96512716674392571292e+01, 1.37657754143519042600e+02, 4.34565877475229228821e+02,
       6.45387271733267880336e+02, 4.29008140027567833386e+02, 1.08635005541779435134e+02,
       6.57024977031928170135e+00, -6.04244152148580987438e-02)
# ... and on 1/0.35 <= |x| < 6 (beyond 6, erf is ±1 to float64 precision)
_RB = (-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01,
       -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03,
       -4.83519191608651397019e+02)
_SB = (1.0, 3.03380607434824582924e+01, 3.25792512996573918826e+02, 1.53672958608443695994e+03,
       3.19985821950859553908e+03, 2.55305040643316442583e+03, 4.74528541206955367215e+02,
       -2.24409524465858183362e+01)

# Eigen's float32 erf: x·α(x²)/β(x²) on [-4, 4] (highest power first)
_ALPHA = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05,
          -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02)[::-1]
_BETA = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03,
         -1.42647390514189e-02)[::-1]

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_LOG2_E = 1 / math.log(2)
# float64, float32: beyond this |x|, x φ(x) would fall below the smallest normal number (2^-1021, 2^-125
# as exponents of 2); taken at the bound instead it is still negligible next to Φ and never underflows
_PHI_CLAMP = (37.0, 13.0)
_TANH_CUBIC = 0.044715  # GELU's tanh form (Hendrycks & Gimpel): √(2/π)(x + 0.044715 x³)


def _poly(coefficients, z):
    """c0 + c1 z + c2 z² + ... by Horner's rule (one multiply and one add per coefficient)."""
    result = z * coefficients[-1]
    for c in coefficients[-2:0:-1]:
        result += c
        result *= z
    result += coefficients[0]
    return result


def erf_array(x):
    """erf of a raw float array: fdlibm's four ranges for float64, Eigen's rational for float32.

    >>> import numpy as np
    >>> erf_array(np.array([-7.0, 0.0, 1.0, 3.0]))
    array([-1.        ,  0.        ,  0.84270079,  0.99997791])
    """
    if x.dtype.itemsize < 8:
        return _erf_single(x)
    xp = backend.xp_of(x)
    a = xp.abs(x)
    out = xp.empty_like(x)
    small = a < 0.84375
    xs = x[small]
    zs = xs * xs
    out[small] = xs + xs * (_poly(_PP, zs) / _poly(_QQ, zs))
    mid = (a >= 0.84375) & (a < 1.25)
    s = a[mid] - 1
    out[mid] = xp.copysign(_ERX + _poly(_PA, s) / _poly(_QA, s), x[mid])
    for low, high, r, q in ((1.25, 1 / 0.35, _RA, _SA), (1 / 0.35, 6.0, _RB, _SB)):
        part = (a >= low) & (a < high)
        ap = a[part]
        s = 1 / (ap * ap)
        erfc = xp.exp(-ap * ap - 0.5625 + _poly(r, s) / _poly(q, s)) / ap
        out[part] = xp.copysign(1 - erfc, x[part])
    big = a >= 6.0  # and nan stays nan: no range takes it, so copy it through
    out[big] = xp.sign(x[big])
    nan = xp.isnan(x)
    out[nan] = x[nan]
    return out


def _erf_single(x):
    """Eigen's float32 erf: clamp to [-4, 4], then x·α(x²)/β(x²) (eleven multiply-adds, one divide)."""
    x = backend.xp_of(x).clip(x, -4, 4)
    z = x * x
    out = _poly(_ALPHA, z)
    out *= x
    out /= _poly(_BETA, z)
    return out


# Φ(x) = ½ + ½ erf(x/√2) with Eigen's erf: the 1/√2 and the ½ folded into the coefficients
# (u = x/√2, so u^(2k) = x^(2k)/2^k), which saves passes over the array
_CDF_ALPHA = tuple(c / (2 ** k * 2 * math.sqrt(2)) for k, c in enumerate(_ALPHA))
_CDF_BETA = tuple(c / 2 ** k for k, c in enumerate(_BETA))
_CDF_CLIP = 4 * math.sqrt(2)  # Eigen's [-4, 4] for u = x/√2


def _normal_cdf_single(x):
    """Φ(x) in float32: Eigen's erf of x/√2 with the constants folded in (see _CDF_ALPHA)."""
    x = backend.xp_of(x).clip(x, -_CDF_CLIP, _CDF_CLIP)
    z = x * x
    out = _poly(_CDF_ALPHA, z)
    out *= x
    out /= _poly(_CDF_BETA, z)
    out += 0.5
    return backend.xp_of(x).clip(out, 0, 1, out=out)  # exactly 0 beyond the clamp (0.5 - 0.5 rounds to ±6e-8)


class ErfFunction(Function):
    """erf(x) = 2/√π ∫₀ˣ e^(-t²) dt;  d/dx erf(x) = 2/√π · e^(-x²)."""

    def forward(self, x):
        self.save(x)
        return erf_array(x)

    def backward(self, grad):
        x, = self.saved
        return grad * (_TWO_OVER_SQRT_PI * backend.xp_of(x).exp(-x * x))


class GELUFunction(Function):
    """GELU(x) = x Φ(x), Φ(x) = ½(1 + erf(x/√2));  GELU'(x) = Φ(x) + x φ(x), φ(x) = e^(-x²/2)/√(2π).

    ``approximate="tanh"``: GELU(x) ≈ ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³), whose
    derivative is ½(1 + tanh u) + ½x(1 - tanh²u)·√(2/π)(1 + 3·0.044715x²).
    """

    def __init__(self, approximate="none"):
        self.approximate = approximate

    def forward(self, x):
        out, kept = by_blocks(_gelu_tanh if self.approximate == "tanh" else _gelu_exact, x)
        self.save(x, kept)
        return out

    def backward(self, grad):
        x, kept = self.saved
        return by_blocks(_slope_tanh if self.approximate == "tanh" else _slope_exact, x, kept, grad)


# GELU's forward and backward as elementwise formulas on raw arrays (tinynn/ops/blockwise.py runs
# them block by block on big CPU arrays). Each forward returns (output, what backward keeps).
def _gelu_tanh(x):
    """½x(1 + tanh u), u = √(2/π)(x + 0.044715x³); keeps tanh u."""
    inner = x * x
    inner *= _TANH_CUBIC
    inner += 1
    inner *= x
    inner *= _SQRT_2_OVER_PI
    t = backend.xp_of(x).tanh(inner)
    out = t + 1
    out *= x
    out *= 0.5
    return out, t


def _gelu_exact(x):
    """x Φ(x); keeps Φ(x)."""
    if x.dtype.itemsize < 8:
        cdf = _normal_cdf_single(x)
    else:
        cdf = erf_array(x * _INV_SQRT_2)
        cdf += 1
        cdf *= 0.5
    return cdf * x, cdf


def _slope_tanh(x, t, grad):
    """grad · [½(1 + tanh u) + ½x(1 - tanh²u)·√(2/π)(1 + 3·0.044715x²)]."""
    du = x * x
    du *= 3 * _TANH_CUBIC * _SQRT_2_OVER_PI
    du += _SQRT_2_OVER_PI  # du/dx = √(2/π)(1 + 3·0.044715x²)
    slope = 1 - t * t
    slope *= du
    slope *= x
    slope += 1 + t
    slope *= 0.5
    slope *= grad
    return slope


def _slope_exact(x, cdf, grad):
    """grad · [Φ(x) + x φ(x)]."""
    xp = backend.xp_of(x)
    bound = _PHI_CLAMP[x.dtype.itemsize < 8]
    xc = xp.clip(x, -bound, bound)  # (a clip with both bounds: NumPy's maximum is ~4x slower)
    slope = xc * xc
    slope *= -0.5 * _LOG2_E  # e^(-x²/2) = 2^(-x²/2 · log2 e): NumPy's exp2 is ~2x faster than exp
    slope = xp.exp2(slope, out=slope)
    slope *= xc
    slope *= _INV_SQRT_2PI  # x φ(x)
    slope += cdf  # + Φ(x)
    slope *= grad
    return slope


def erf(x):
    """The error function, elementwise (``torch.erf``).

    >>> import tinynn as tn
    >>> [round(v, 6) for v in erf(tn.tensor([-1.0, 0.0, 2.0])).tolist()]
    [-0.842701, 0.0, 0.995322]
    """
    return ErfFunction()(x)


def gelu(x, approximate="none"):
    """Gaussian Error Linear Unit, x·Φ(x) (``approximate="tanh"``: GPT-2's tanh form).

    >>> import tinynn as tn
    >>> [round(v, 4) for v in gelu(tn.tensor([-1.0, 0.0, 1.0])).tolist()]
    [-0.1587, 0.0, 0.8413]
    >>> [round(v, 4) for v in gelu(tn.tensor([-1.0, 0.0, 1.0]), approximate="tanh").tolist()]
    [-0.1588, 0.0, 0.8412]
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    if getattr(getattr(x, "dtype", None), "kind", "f") not in "fc":
        raise TypeError(f"gelu: needs a floating-point tensor, got {x.dtype}: convert it first, e.g. x.float()")
    return GELUFunction(approximate)(x)


__all__ = ["erf", "gelu"]
