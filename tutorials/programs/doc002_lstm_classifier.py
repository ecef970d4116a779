# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Document 002, section 5.2: Embedding → LSTM → Linear, PyTorch style
#
# Source: `shared/seeds/002_b2e981247872c059.txt`, section 5.2 ("源代码详细实现"). The
# document calls its model `BERTModel`, but it is an embedding, one LSTM layer and a linear
# classifier on the last time step, with a PyTorch training loop; it leaves out the data,
# the evaluation and the driver ("搭建模型、加载数据、训练模型等步骤"). We fill those in with the
# generated sentiment task of `tinynn.synthetic` (a negator right before a sentiment word
# flips it, so the order of the words decides the label).
#
# | the document (PyTorch) | tinynn |
# |---|---|
# | `import torch.nn as nn`, `import torch.optim as optim` | `from tinynn import nn, optim` |
# | `nn.Embedding(embedding_size, hidden_size)` (its first argument is the vocabulary size) | `nn.Embedding(vocab_size, hidden_size)` |
# | `nn.LSTM(hidden_size, hidden_size)`: sequence-first, input (seq_len, batch, features) | the same: `nn.LSTM(hidden_size, hidden_size)`, PyTorch's layout, gate order and parameter names |
# | `x = self.fc(x[-1, :, :])`: the last time step | the same |
# | `preprocess_data(texts)` (not shown) | `make_sentiment(...)`: token ids, already padded |
# | a `DataLoader` yielding (batch, seq_len) | the same, and the model transposes to (seq_len, batch): `x.T` |
#
# The last row is a trap in the document: a `DataLoader` yields (batch, seq_len) tensors,
# but its sequence-first LSTM reads axis 0 as time, so `x[-1]` would be "the last review of
# the batch", silently. Either transpose (as here) or build the LSTM with `batch_first=True`
# and take `x[:, -1]`.

# %%
import os
import time

import numpy as np

import tinynn as tn
import tinynn.threads
from tinynn import nn, optim
from tinynn.data import DataLoader
from tinynn.synthetic import make_sentiment

tinynn.threads.small_model_threads()  # one BLAS thread: small products run faster, far faster on a busy machine

FAST = os.environ.get("TINYNN_FAST") == "1"  # the test suite sets this: a smaller problem
tn.manual_seed(0)
started = time.perf_counter()


# %%
# 模型定义
class BERTModel(nn.Module):  # the document's name; an LSTM classifier
    def __init__(self, embedding_size, hidden_size, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(embedding_size, hidden_size)
        self.lstm = nn.LSTM(hidden_size, hidden_size)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        x = self.embedding(x.T)  # (batch, seq_len) ids -> (seq_len, batch, hidden)
        x, _ = self.lstm(x)
        x = self.fc(x[-1, :, :])  # the last step's hidden state -> class logits
        return x


# 训练过程
def train(model, train_loader, criterion, optimizer):
    model.train()
    total = 0.0
    for data, target in train_loader:
        optimizer.zero_grad()
        output = model(data)
        loss = criterion(output, target)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(target)
    return total / len(train_loader.dataset)


def accuracy_of(model, loader):  # what the document prints but never computes
    model.eval()
    correct = 0
    with tn.no_grad():
        for data, target in loader:
            correct += (model(data).argmax(dim=1) == target).sum().item()
    return correct / len(loader.dataset)


# %% [markdown]
# ## The missing driver: data, model, loss, optimizer, epochs

# %%
vocab_size, seq_len = 100, (16 if FAST else 20)
hidden_size = 32 if FAST else 128
num_classes = 2
num_epochs = 10 if FAST else 10
n_train, n_test = (2000, 1000) if FAST else (4000, 1000)
tokens, labels = make_sentiment(n_train + n_test, seq_len=seq_len, vocab_size=vocab_size,
                                max_sentiment=1 if FAST else 3, seed=2)
train_loader = DataLoader((tokens[:n_train], labels[:n_train]), batch_size=64, shuffle=True)
test_loader = DataLoader((tokens[n_train:], labels[n_train:]), batch_size=256)

model = BERTModel(vocab_size, hidden_size, num_classes)
criterion = nn.CrossEntropyLoss()  # logits + class indices, as torch.nn.CrossEntropyLoss
optimizer = optim.Adam(model.parameters(), lr=5e-3 if FAST else 2e-3)

train_started = time.perf_counter()
for epoch in range(num_epochs):
    loss = train(model, train_loader, criterion, optimizer)
    accuracy = accuracy_of(model, test_loader)
    print(f"Epoch {epoch+1}, Loss: {loss:.4f}, Accuracy: {accuracy:.4f}")
train_seconds = time.perf_counter() - train_started
assert accuracy > (0.8 if FAST else 0.9)  # chance: 0.5

# %% [markdown]
# ## The weights are PyTorch's
#
# `model.lstm.state_dict()` has `torch.nn.LSTM`'s keys and shapes, in its gate order
# (i, f, g, o), so trained weights move to PyTorch as they are: with torch installed, this
# cell checks that both frameworks compute the same outputs from them.

# %%
print({k: v.shape for k, v in model.lstm.state_dict().items()})
try:
    import torch
except ImportError:
    torch = None
if torch is not None:
    twin = torch.nn.LSTM(hidden_size, hidden_size)
    twin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.lstm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((seq_len, 3, hidden_size)).astype("float32")
    ours, _ = model.lstm(tn.tensor(x))
    theirs, _ = twin(torch.tensor(x))
    gap = float(np.abs(ours.numpy() - theirs.detach().numpy()).max())
    print(f"largest difference between tinynn's and torch's LSTM outputs: {gap:.2e}")
    assert gap < 1e-4

# %% [markdown]
# ## What we learned
# * The document's model and loop run unchanged apart from the imports, once the data is
#   given in the layout a sequence-first LSTM expects (seq_len, batch).
# * `CrossEntropyLoss` takes the logits of `fc` and class indices: no softmax in the model.

# %%
print(f"RESULT doc002: test accuracy {accuracy:.3f} (chance 0.5); training {train_seconds:.1f} s, "
      f"total {time.perf_counter() - started:.1f} s")
