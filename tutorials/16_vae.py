# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # 16. A variational autoencoder on the digits
#
# Document 004 §2 says "大模型通常采用自注意力机制、变分自编码器等技术，以提高模型的表示能力和学习能力"
# (large models usually use self-attention, variational autoencoders and similar techniques
# to raise their representational power). Said plainly: **a VAE is a generative model of its
# own** (Kingma & Welling 2014), not a component or hidden layer of GPT or BERT; those are
# Transformers trained to predict tokens. What they share is the idea of a learned
# representation. This tutorial builds the VAE of `tinynn.models.vae` and measures it.
#
# ## The ELBO
# A latent z ~ p(z) = N(0, I) and a decoder p(x|z) define p(x) = ∫ p(x|z) p(z) dz, which
# cannot be computed. With any encoder q(z|x), Jensen's inequality gives
#
# $$\log p(x) = \log E_{q}\Big[\frac{p(x|z)p(z)}{q(z|x)}\Big] \ge E_q[\log p(x|z)] - \mathrm{KL}(q(z|x)\,\|\,p(z)) = \text{ELBO}.$$
#
# With q = N(μ, diag σ²) the KL has a closed form, −½ Σ(1 + log σ² − μ² − σ²); the first term
# is estimated with one sample z = μ + σ ⊙ ε, ε ~ N(0, I) — the **reparameterisation trick**,
# which puts the randomness in ε so that gradients reach μ and σ. The decoder is Bernoulli
# on pixels scaled to [0, 1], so −log p(x|z) is the binary cross-entropy summed over the 64
# pixels. Loss = −ELBO in nats per image.
# %%
# Find tutorials/_setup.py (the fast switch and the output folder, shared by the tutorials).
import sys
from pathlib import Path

here = Path.cwd()
candidates = [here / "_setup.py", *(d / "tutorials" / "_setup.py" for d in (here, *here.parents)),
              *here.glob("*/tutorials/_setup.py")]
sys.path += [str(p.parent) for p in candidates if p.is_file()][:1]

# %%
import matplotlib.pyplot as plt
import numpy as np
from _setup import FAST, save

import tinynn as tn
from tinynn import optim
from tinynn.data import DataLoader, train_test_split
from tinynn.models.vae import VAE, kl_normal, load_digits01, vae_loss

# %% [markdown]
# ## The reparameterised loss is differentiable: a gradient check
# With ε fixed, the loss is an ordinary function of μ and log σ²; `tn.gradcheck` compares
# its backward with central differences in float64.

# %%
tn.manual_seed(0)
small = VAE(6, 5, 2).double()
rng = np.random.default_rng(0)
x6, eps = tn.tensor(rng.uniform(size=(3, 6))), tn.tensor(rng.normal(size=(3, 2)))


def loss_of(mu, logvar):
    return vae_loss(small.decode(VAE.reparameterize(mu, logvar, eps)), x6, mu, logvar)


print(tn.gradcheck(loss_of, [tn.tensor(rng.normal(size=(3, 2)), requires_grad=True),
                             tn.tensor(rng.normal(size=(3, 2)) * 0.5, requires_grad=True)]))
# and the closed-form KL against a Monte-Carlo estimate E_q[log q(z) - log p(z)]
mu, logvar = np.array([[0.5, -1.0]]), np.array([[-0.3, 0.4]])
s = np.exp(0.5 * logvar)
z = mu + s * rng.normal(size=(200_000, 2))
mc = ((-0.5 * ((z - mu) / s) ** 2 - np.log(s)) - (-0.5 * z ** 2)).sum(1)
closed = kl_normal(tn.tensor(mu), tn.tensor(logvar)).item()
print(f"KL closed form {closed:.4f}, Monte Carlo {mc.mean():.4f} ± {mc.std() / np.sqrt(len(mc)):.4f}")
assert abs(mc.mean() - closed) < 4 * mc.std() / np.sqrt(len(mc))

# %% [markdown]
# ## Training on the digits, latent size 2 (so it can be drawn)

# %%
x, y = load_digits01()
x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.2, seed=0, stratify=y)
tn.manual_seed(0)
vae = VAE(64, 128, 2)
opt = optim.Adam(vae.parameters(), lr=2e-3)
EPOCHS = 15 if FAST else 150
xv = tn.tensor(x_val)


def val_terms():
    vae.eval()
    with tn.no_grad():
        logits, mu, logvar = vae(xv)
        total = vae_loss(logits, xv, mu, logvar).item()
        kl = kl_normal(mu, logvar).mean().item()
    return total, total - kl, kl


history = [val_terms()]
for epoch in range(EPOCHS):
    vae.train()
    for (xb,) in DataLoader((x_train,), batch_size=64, shuffle=True):
        opt.zero_grad()
        logits, mu, logvar = vae(xb)
        vae_loss(logits, xb, mu, logvar).backward()
        opt.step()
    history.append(val_terms())
neg_elbo, recon, kl = history[-1]
print(f"validation: -ELBO {neg_elbo:.2f} nats/image = reconstruction {recon:.2f} + KL {kl:.2f} "
      f"(untrained: {history[0][0]:.2f}; 64 log 2 = {64 * np.log(2):.2f})")
assert neg_elbo < history[0][0] - 8 and kl > 1.0, "the ELBO rose and the latent carries information"

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 4))
h = np.array(history)
axes[0].plot(h[:, 0], label="−ELBO")
axes[0].plot(h[:, 1], label="reconstruction")
axes[0].plot(h[:, 2], label="KL")
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("nats per image (validation)")
axes[0].legend()
with tn.no_grad():
    mu_val, _ = vae.encode(xv)
pts = mu_val.numpy()
sc = axes[1].scatter(pts[:, 0], pts[:, 1], c=y_val, cmap="tab10", s=8)
axes[1].set_title("latent means μ of validation digits")
axes[1].set_xlabel("μ₁")
axes[1].set_ylabel("μ₂")
fig.colorbar(sc, ax=axes[1], label="digit class (not seen in training)")
grid = np.linspace(-2.5, 2.5, 10)
zs = np.array([[a, b] for b in grid[::-1] for a in grid], dtype="float32")
with tn.no_grad():
    imgs = vae.decode(tn.tensor(zs)).sigmoid().numpy().reshape(10, 10, 8, 8)
canvas = np.zeros((10 * 9 - 1, 10 * 9 - 1))  # the 8×8 tiles with one blank pixel between them
for row in range(10):
    for col in range(10):
        canvas[9 * row:9 * row + 8, 9 * col:9 * col + 8] = imgs[row, col]
axes[2].imshow(canvas, cmap="gray_r")
axes[2].set_title("decoder over a grid of z ∈ [−2.5, 2.5]²\n(the latent map: z₁ to the right, z₂ up)")
axes[2].axis("off")
save(fig, "16_vae.png")

tn.manual_seed(1)
with tn.no_grad():
    samples = vae.sample(16).numpy().reshape(16, 8, 8)
fig, axes = plt.subplots(2, 8, figsize=(8, 2))
for ax, img in zip(axes.ravel(), samples):
    ax.imshow(img, cmap="gray_r")
    ax.axis("off")
fig.suptitle("16 samples from the prior: z ~ N(0, I), then the decoder", fontsize=10)
save(fig, "16_samples.png")

# %% [markdown]
# The latent map places each digit class in its own region although no label was used;
# samples from the prior look like blurry digits (a 2-D latent keeps only the gist).
#
# Next: [17. Data parallelism](17_data_parallelism.py): one model trained on several workers.
