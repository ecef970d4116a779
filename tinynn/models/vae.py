"""A variational autoencoder (Kingma & Welling 2014, "Auto-Encoding Variational Bayes").

A VAE is a generative model of its own: it learns p(x) = ∫ p(x|z) p(z) dz with a small
latent z ~ N(0, I) and a decoder p(x|z); an encoder q(z|x) = N(μ(x), diag σ²(x)) makes
training possible. It is not a layer inside GPT or BERT. Training maximises the evidence
lower bound (ELBO) on log p(x)::

    log p(x) ≥ E_q[log p(x|z)] − KL(q(z|x) ‖ p(z))          (ELBO)

The loss is the negative ELBO per image, in nats:

* reconstruction: −log p(x|z) with a Bernoulli decoder, i.e. binary cross-entropy of the
  decoder's logits against the pixels scaled to [0, 1], **summed** over the 64 pixels
  (``reconstruction="bce"``; ``"mse"`` gives the summed squared error of a Gaussian decoder
  with unit variance, up to a constant: ½ Σ (x − x̂)²);
* KL in closed form for two Gaussians: KL = −½ Σ_j (1 + log σ_j² − μ_j² − σ_j²).

The expectation is estimated with one sample drawn by the **reparameterisation trick**
z = μ + σ ⊙ ε, ε ~ N(0, I): the randomness sits in ε, so gradients reach μ and log σ².

>>> import tinynn as tn
>>> tn.manual_seed(0)
>>> vae = VAE(in_features=64, hidden=32, latent=2)
>>> x = tn.rand(5, 64)
>>> logits, mu, logvar = vae(x)
>>> logits.shape, mu.shape, vae_loss(logits, x, mu, logvar).item() > 0
((5, 64), (5, 2), True)
"""
from __future__ import annotations

from tinynn import backend
from tinynn.creation import randn, randn_like
from tinynn.nn.activation import ReLU
from tinynn.nn.layers import Linear
from tinynn.nn.module import Module, Sequential
from tinynn.ops.fused.loss import binary_cross_entropy_with_logits
from tinynn.tensor import Tensor

__all__ = ["VAE", "kl_normal", "reconstruction_loss", "vae_loss", "load_digits01"]


class VAE(Module):
    """MLP encoder → (μ, log σ²) → reparameterised z → MLP decoder → pixel logits.

    ``forward(x)`` returns ``(logits, mu, logvar)``; ``sample(n)`` draws n images (pixel
    probabilities) from the prior; ``encode(x)`` gives (μ, log σ²).
    """

    def __init__(self, in_features=64, hidden=128, latent=2):
        super().__init__()
        self.in_features, self.latent = in_features, latent
        self.encoder = Sequential(Linear(in_features, hidden), ReLU())
        self.to_mu = Linear(hidden, latent)
        self.to_logvar = Linear(hidden, latent)
        self.decoder = Sequential(Linear(latent, hidden), ReLU(), Linear(hidden, in_features))

    def encode(self, x):
        """(μ, log σ²) of q(z|x), each (N, latent)."""
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    @staticmethod
    def reparameterize(mu, logvar, eps=None):
        """z = μ + exp(½ log σ²) ⊙ ε with ε ~ N(0, I) (pass ``eps`` to fix it, e.g. in a gradcheck).

        >>> import tinynn as tn
        >>> VAE.reparameterize(tn.tensor([1.0]), tn.tensor([0.0]), eps=tn.tensor([2.0])).tolist()
        [3.0]
        """
        if eps is None:
            eps = randn_like(mu)
        return mu + (logvar * 0.5).exp() * eps

    def decode(self, z):
        """Pixel logits (N, in_features); ``.sigmoid()`` gives Bernoulli probabilities."""
        return self.decoder(z)

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar, eps)), mu, logvar

    def sample(self, n):
        """n images drawn from the model: z ~ N(0, I), probabilities sigmoid(decoder(z)).

        >>> VAE(64, 16, 2).sample(3).shape
        (3, 64)
        """
        device = self.to_mu.weight.device
        z = randn(n, self.latent, dtype=self.to_mu.weight.dtype, device=device)
        return self.decode(z).sigmoid()


def kl_normal(mu, logvar):
    """KL(N(μ, diag σ²) ‖ N(0, I)) per sample, in closed form: −½ Σ_j (1 + log σ² − μ² − σ²).

    >>> import tinynn as tn
    >>> kl_normal(tn.tensor([[0.0, 0.0]]), tn.tensor([[0.0, 0.0]])).tolist()   # q = p
    [0.0]
    >>> round(kl_normal(tn.tensor([[1.0]]), tn.tensor([[0.0]])).item(), 4)       # ½ μ²
    0.5
    """
    return ((mu * mu) + logvar.exp() - logvar - 1.0).sum(dim=1) * 0.5


def reconstruction_loss(logits, x, reconstruction="bce"):
    """−log p(x|z) per sample, summed over pixels: BCE on logits ("bce", pixels in [0, 1]) or
    ½ Σ (x − sigmoid(logits))² ("mse": a unit-variance Gaussian decoder, up to a constant).

    >>> import tinynn as tn
    >>> round(reconstruction_loss(tn.zeros(1, 4), tn.ones(1, 4)).item(), 4)      # 4 log 2
    2.7726
    """
    if reconstruction == "bce":
        return binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
    if reconstruction == "mse":
        d = logits.sigmoid() - x
        return (d * d).sum(dim=1) * 0.5
    raise ValueError(f"reconstruction_loss: reconstruction must be 'bce' or 'mse', got {reconstruction!r}")


def vae_loss(logits, x, mu, logvar, reconstruction="bce", beta=1.0):
    """The negative ELBO averaged over the batch: mean(reconstruction + beta · KL), in nats
    per image (``beta=1`` is the VAE; other values give a β-VAE).

    >>> import tinynn as tn
    >>> x = tn.full((2, 4), 0.5)
    >>> round(vae_loss(tn.zeros(2, 4), x, tn.zeros(2, 3), tn.zeros(2, 3)).item(), 4)    # 4 log 2 + 0
    2.7726
    """
    for name, t in (("logits", logits), ("x", x), ("mu", mu), ("logvar", logvar)):
        if not isinstance(t, Tensor):
            raise TypeError(f"vae_loss: {name} must be a Tensor, got {type(t).__name__}")
    if tuple(logits.shape) != tuple(x.shape) or tuple(mu.shape) != tuple(logvar.shape) or len(mu) != len(x):
        raise ValueError(f"vae_loss: logits {tuple(logits.shape)} must match x {tuple(x.shape)}, and mu "
                         f"{tuple(mu.shape)} logvar {tuple(logvar.shape)} (same N)")
    return (reconstruction_loss(logits, x, reconstruction) + kl_normal(mu, logvar) * beta).mean()


def load_digits01():
    """The bundled digits as (1797, 64) pixels in [0, 1] (counts / 16) and labels.

    >>> x, y = load_digits01()
    >>> x.shape, float(x.max())
    ((1797, 64), 1.0)
    """
    from tinynn.data import load_digits

    x, y = load_digits()
    return (x / backend.numpy.float32(16.0)).astype(x.dtype), y
