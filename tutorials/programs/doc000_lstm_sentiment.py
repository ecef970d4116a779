# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Document 000, section 5.2: a two-layer LSTM for sentiment
#
# Source: `shared/seeds/000_e420635e88929c43.txt`, section 5.2 ("源代码详细实现"). The
# document builds Embedding → LSTM (all steps) → Dropout → LSTM (last step) → Dropout →
# Dense(1, sigmoid), trains it with binary cross-entropy and Adam, validates, and reports the
# accuracy, but leaves the data as `x_train = ...`. We supply a task where the order of the
# words matters, so that we can check that the LSTM really reads sequences: a bag-of-words
# model must fail where it succeeds.
#
# | the document (TensorFlow/Keras) | tinynn |
# |---|---|
# | `Embedding(vocab_size, embedding_dim)` | `nn.Embedding(vocab_size, embedding_dim)` (same layer, N(0, 1) init as PyTorch) |
# | `LSTM(lstm_units, return_sequences=True)` | `nn.LSTM(embedding_dim, lstm_units, batch_first=True)`; it returns `(output, (h_n, c_n))` and `output` is every step |
# | `LSTM(lstm_units, return_sequences=False)` | the same layer, then keep only the last step: `output[:, -1]` |
# | `Dense(1, activation='sigmoid')` | `nn.Linear(lstm_units, 1), nn.Sigmoid()` |
# | `model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])` | `nn.BCELoss()`, `optim.Adam(model.parameters(), lr=1e-3)`, `metrics=("accuracy",)` in `tn.fit` |
# | `model.fit(x_train, y_train, batch_size=64, epochs=10, validation_data=(x_val, y_val))` | `tn.fit(model, loss_fn, optimizer, DataLoader((x_train, y_train), batch_size=64, shuffle=True), epochs=..., val_loader=DataLoader((x_val, y_val), batch_size=256))` |
# | `model.evaluate(x_val, y_val)` | `tn.evaluate(model, loss_fn, val_loader)` |
#
# Keras infers each layer's input size; tinynn (like PyTorch) asks for it. A stabler
# variant drops the `Sigmoid` and uses `nn.BCEWithLogitsLoss` on the logits.

# %%
import os
import time

import numpy as np

import tinynn as tn
import tinynn.threads
from tinynn import nn, optim
from tinynn.data import DataLoader
from tinynn.synthetic import bag_of_words, decode, make_sentiment, sentiment_vocabulary

tinynn.threads.small_model_threads()  # one BLAS thread: small products run faster, far faster on a busy machine

FAST = os.environ.get("TINYNN_FAST") == "1"  # the test suite sets this: a smaller problem
tn.manual_seed(0)
started = time.perf_counter()

# the document's hyper-parameters, where our small task allows them
vocab_size = 100  # the document: 10000 (our language has 100 words)
embedding_dim = 32 if FAST else 128
lstm_units = 32 if FAST else 128
batch_size = 64
epochs = 12 if FAST else 6  # the document: 10 (6 are enough here)
max_sentiment = 1 if FAST else 3  # sentiment words per review (the FAST task is easier)
seq_len = 16 if FAST else 20
n_train, n_val = (2000, 1000) if FAST else (4000, 1000)

# %% [markdown]
# ## The data: reviews whose label depends on word order
#
# `make_sentiment` writes reviews in a tiny language. Sentiment words are positive ("good",
# "superb", ...) or negative ("dull", "awful", ...), and a negator ("not", "never",
# "hardly") *directly before* one flips it. The label is the majority of the flipped
# polarities. Every review holds exactly as many negators as sentiment words: those that do
# not negate a sentiment word stand before a filler word ("not the"). So the bag of words
# shows *which* words occur but never *which ones are negated*: only the order does.
# Reviews are left-padded with token 0, like Keras' `pad_sequences`.

# %%
tokens, labels = make_sentiment(n_train + n_val, seq_len=seq_len, vocab_size=vocab_size,
                                max_sentiment=max_sentiment, seed=0)
for t, label in zip(tokens[:5], labels[:5]):
    print("positive" if label else "negative", "|", decode(t, vocab_size))
x_train, x_val = tokens[:n_train], tokens[n_train:]
y_train = labels[:n_train, None].astype("float32")  # (N, 1) targets for BCELoss
y_val = labels[n_train:, None].astype("float32")
print(f"{n_train} training and {n_val} validation reviews; positives: {labels.mean():.2f}")

# %% [markdown]
# ## A bag-of-words baseline
#
# Logistic regression on word counts: the strongest model that ignores order. It can see
# every word, so if the label could be read off the words alone, it would find it.

# %%
bow_train, bow_val = bag_of_words(x_train, vocab_size), bag_of_words(x_val, vocab_size)
bow = nn.Sequential(nn.Linear(vocab_size, 1), nn.Sigmoid())
tn.fit(bow, nn.BCELoss(), optim.Adam(bow.parameters(), lr=1e-2),
       DataLoader((bow_train, y_train), batch_size=batch_size, shuffle=True), epochs=10 if FAST else 20,
       progress=False)
bow_acc = tn.evaluate(bow, nn.BCELoss(), DataLoader((bow_val, y_val), batch_size=256))["accuracy"]
print(f"bag-of-words validation accuracy: {bow_acc:.3f} (chance: 0.5)")
assert bow_acc < 0.6


# %% [markdown]
# ## The document's model

# %%
class SentimentLSTM(nn.Module):
    """Embedding → LSTM (every step) → Dropout → LSTM (last step) → Dropout → Dense(1, sigmoid)."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm1 = nn.LSTM(embedding_dim, lstm_units, batch_first=True)
        self.dropout1 = nn.Dropout(0.5)
        self.lstm2 = nn.LSTM(lstm_units, lstm_units, batch_first=True)
        self.dropout2 = nn.Dropout(0.5)
        self.dense = nn.Linear(lstm_units, 1)

    def forward(self, x):  # x: (batch, seq_len) token ids
        h, _ = self.lstm1(self.embedding(x))  # return_sequences=True: (batch, seq_len, units)
        h = self.dropout1(h)
        h, _ = self.lstm2(h)
        h = self.dropout2(h[:, -1])  # return_sequences=False: the last step only
        return self.dense(h).sigmoid()  # Dense(1, activation='sigmoid')


model = SentimentLSTM()
loss_fn = nn.BCELoss()
optimizer = optim.Adam(model.parameters(), lr=1e-3 if not FAST else 5e-3)
train_loader = DataLoader((x_train, y_train), batch_size=batch_size, shuffle=True)
val_loader = DataLoader((x_val, y_val), batch_size=256)

fit_started = time.perf_counter()
history = tn.fit(model, loss_fn, optimizer, train_loader, epochs=epochs, val_loader=val_loader,
                 progress=False)
fit_seconds = time.perf_counter() - fit_started
for epoch in range(history.epochs):
    print(f"epoch {epoch + 1}: loss {history['loss'][epoch]:.4f} - accuracy {history['accuracy'][epoch]:.4f}"
          f" - val_loss {history['val_loss'][epoch]:.4f} - val_accuracy {history['val_accuracy'][epoch]:.4f}")
result = tn.evaluate(model, loss_fn, val_loader)
print(f"Validation Loss: {result['loss']:.4f}, Validation Accuracy: {result['accuracy']:.4f} "
      f"(training took {fit_seconds:.1f} s)")
assert result["accuracy"] > (0.8 if FAST else 0.9)
assert result["accuracy"] > bow_acc + 0.2  # order matters, and the LSTM uses it

# %% [markdown]
# ## What the LSTM learned
#
# Probe it with hand-written reviews: the same words in a different order.

# %%
words = {w: i for i, w in enumerate(sentiment_vocabulary(vocab_size))}


def encode(text):
    ids = [words[w] for w in text.split()]
    return [0] * (seq_len - len(ids)) + ids


probes = ["the movie was not good",  # negated: negative
          "not the movie was good",  # the negator precedes "the": positive
          "the plot was never boring",  # negated: positive
          "never the plot was boring"]  # negative
model.eval()
with tn.no_grad():
    scores = model(tn.tensor(np.array([encode(p) for p in probes]))).numpy()[:, 0]
for text, p in zip(probes, scores):
    print(f"P(positive) = {p:.2f} | {text}")

# %% [markdown]
# ## What we learned
# * Keras' `LSTM(units, return_sequences=True/False)` is one `nn.LSTM` whose output holds
#   every step; "return the last step only" is `output[:, -1]`.
# * On a task where only the order carries the label, a bag of words stays at chance and an
#   LSTM does not: it learned that a negator flips the word right after it.
# * tinynn's LSTM is PyTorch's (gate order i, f, g, o; `weight_ih_l0` ...), so this model's
#   LSTM state dicts load into `torch.nn.LSTM` and back.

# %%
print(f"RESULT doc000: validation accuracy {result['accuracy']:.3f} (bag of words {bow_acc:.3f}, chance 0.5); "
      f"fit {fit_seconds:.1f} s, total {time.perf_counter() - started:.1f} s")
