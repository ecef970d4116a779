"""tinynn.models.vae: the reparameterised loss is gradient-checked, the closed-form KL agrees
with a Monte-Carlo estimate and with torch.distributions, training raises the ELBO."""
import math

import numpy as np
import pytest

import tinynn as tn
from tinynn import optim
from tinynn.models.vae import VAE, kl_normal, load_digits01, reconstruction_loss, vae_loss


def _small_vae():
    tn.manual_seed(0)
    return VAE(in_features=6, hidden=5, latent=2).double()


@pytest.mark.parametrize("reconstruction", ["bce", "mse"])
def test_gradcheck_of_the_reparameterised_loss(reconstruction):
    vae = _small_vae()
    rng = np.random.default_rng(0)
    x = tn.tensor(rng.uniform(size=(3, 6)))
    eps = tn.tensor(rng.normal(size=(3, 2)))  # fixed noise: the loss is then a plain function

    def loss_of(mu, logvar):  # gradient through z = mu + exp(logvar/2) * eps, the decoder and the KL
        z = VAE.reparameterize(mu, logvar, eps)
        return vae_loss(vae.decode(z), x, mu, logvar, reconstruction=reconstruction)

    mu = tn.tensor(rng.normal(size=(3, 2)), requires_grad=True)
    logvar = tn.tensor(rng.normal(size=(3, 2)) * 0.5, requires_grad=True)
    assert tn.gradcheck(loss_of, [mu, logvar])
    # and end to end with respect to the input image
    def end_to_end(image):
        logits, mu, logvar = vae(image, eps=eps)
        return vae_loss(logits, x, mu, logvar, reconstruction=reconstruction)

    assert tn.gradcheck(end_to_end, [tn.tensor(rng.uniform(size=(3, 6)), requires_grad=True)])


def test_kl_gradient_by_hand():
    mu = tn.tensor([[0.3, -1.2]], requires_grad=True)
    logvar = tn.tensor([[0.4, -0.7]], requires_grad=True)
    kl_normal(mu, logvar).sum().backward()
    np.testing.assert_allclose(np.asarray(mu.grad), [[0.3, -1.2]], rtol=1e-6)  # dKL/dmu = mu
    np.testing.assert_allclose(np.asarray(logvar.grad), 0.5 * (np.exp([[0.4, -0.7]]) - 1), rtol=1e-6)


def test_closed_form_kl_matches_monte_carlo():
    rng = np.random.default_rng(1)
    mu, logvar = rng.normal(size=(1, 3)), rng.normal(size=(1, 3)) * 0.6
    closed = kl_normal(tn.tensor(mu), tn.tensor(logvar)).item()
    sigma = np.exp(0.5 * logvar)
    z = mu + sigma * rng.normal(size=(400_000, 3))
    log_q = (-0.5 * ((z - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * math.log(2 * math.pi)).sum(axis=1)
    log_p = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(axis=1)
    samples = log_q - log_p
    mc, stderr = samples.mean(), samples.std() / math.sqrt(len(samples))
    assert abs(mc - closed) < 4 * stderr, (closed, mc, stderr)


def test_closed_form_kl_matches_torch_distributions():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    mu, logvar = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    q = torch.distributions.Normal(torch.tensor(mu), torch.tensor(np.exp(0.5 * logvar)))
    p = torch.distributions.Normal(torch.zeros(4, 3, dtype=torch.float64), torch.ones(4, 3, dtype=torch.float64))
    ref = torch.distributions.kl_divergence(q, p).sum(1).numpy()
    np.testing.assert_allclose(kl_normal(tn.tensor(mu), tn.tensor(logvar)).numpy(), ref, rtol=1e-12)


def test_reparameterisation_gives_the_pathwise_gradient():
    # d/dmu E[z^2] = 2 mu and d/dlogvar E[z^2] = sigma^2 (E[z^2] = mu^2 + sigma^2), estimated by sampling
    tn.manual_seed(3)
    mu = tn.tensor([0.7], dtype="float64", requires_grad=True)
    logvar = tn.tensor([math.log(0.5)], dtype="float64", requires_grad=True)
    n = 200_000
    ones = tn.ones(n, dtype="float64")
    z = VAE.reparameterize(mu * ones, logvar * ones)  # n draws of z = mu + sigma * eps
    (z * z).mean().backward()
    assert np.asarray(mu.grad).item() == pytest.approx(1.4, abs=0.02)
    assert np.asarray(logvar.grad).item() == pytest.approx(0.5, abs=0.02)


def test_reconstruction_terms_by_hand():
    logits = tn.tensor([[0.0, 2.0]])
    x = tn.tensor([[1.0, 0.25]])
    p = 1 / (1 + math.exp(-2.0))
    bce = -math.log(0.5) - (0.25 * math.log(p) + 0.75 * math.log(1 - p))
    assert reconstruction_loss(logits, x, "bce").item() == pytest.approx(bce, rel=1e-6)
    assert reconstruction_loss(logits, x, "mse").item() == pytest.approx(0.5 * (0.25 + (p - 0.25) ** 2), rel=1e-6)
    with pytest.raises(ValueError, match="'bce' or 'mse'"):
        reconstruction_loss(logits, x, "l1")
    with pytest.raises(ValueError, match="must match"):
        vae_loss(logits, tn.zeros(1, 3), tn.zeros(1, 2), tn.zeros(1, 2))


def test_training_on_digits_improves_the_elbo():
    x, _ = load_digits01()
    x = x[:512]
    tn.manual_seed(0)
    vae = VAE(64, 64, 2)
    opt = optim.Adam(vae.parameters(), lr=3e-3)
    xt = tn.tensor(x)

    def neg_elbo():
        with tn.no_grad():
            logits, mu, logvar = vae(xt)
            return vae_loss(logits, xt, mu, logvar).item()

    start = neg_elbo()
    for _ in range(150):
        opt.zero_grad()
        logits, mu, logvar = vae(xt)
        vae_loss(logits, xt, mu, logvar).backward()
        opt.step()
    end = neg_elbo()
    assert start > 44 * 0.9  # ~ 64 log 2 = 44.4 nats for an untrained decoder
    assert end < start - 10, (start, end)
    assert vae.sample(4).shape == (4, 64)
