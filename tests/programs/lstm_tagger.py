"""A part-of-speech tagger: nn.Embedding -> nn.LSTM(batch_first=True) -> Linear -> log_softmax, NLLLoss."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

training_data = [
    ("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
    ("Everybody read that book".split(), ["NN", "V", "DET", "NN"]),
    ("The cat read the book".split(), ["DET", "NN", "V", "DET", "NN"]),
]
word_to_ix = {}
for sent, tags in training_data:
    for word in sent:
        if word not in word_to_ix:
            word_to_ix[word] = len(word_to_ix)
tag_to_ix = {"DET": 0, "NN": 1, "V": 2}
print("vocab", len(word_to_ix))


def prepare_sequence(seq, to_ix):
    return torch.tensor([to_ix[w] for w in seq], dtype=torch.long)


class LSTMTagger(nn.Module):
    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, batch_first=True)
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)          # (batch, seq, emb)
        lstm_out, (h, c) = self.lstm(embeds)
        tag_space = self.hidden2tag(lstm_out)            # (batch, seq, tags)
        return F.log_softmax(tag_space, dim=-1), h, c


model = LSTMTagger(6, 6, len(word_to_ix), len(tag_to_ix))
r = np.random.default_rng(0)
with torch.no_grad():
    for name, p in model.named_parameters():
        p.copy_(torch.tensor(r.uniform(-0.3, 0.3, size=tuple(p.shape)), dtype=torch.float32))
print("lstm params", [name for name, _ in model.lstm.named_parameters()])
loss_function = nn.NLLLoss()
optimizer = optim.SGD(model.parameters(), lr=0.1)

with torch.no_grad():
    inputs = prepare_sequence(training_data[0][0], word_to_ix).unsqueeze(0)
    scores, h, c = model(inputs)
    print("before", list(scores.shape), list(h.shape), list(c.shape), [round(v, 4) for v in scores[0, 0].tolist()])

for epoch in range(150):
    total = 0.0
    for sentence, tags in training_data:
        model.zero_grad()
        sentence_in = prepare_sequence(sentence, word_to_ix).unsqueeze(0)
        targets = prepare_sequence(tags, tag_to_ix)
        tag_scores, _, _ = model(sentence_in)
        loss = loss_function(tag_scores.squeeze(0), targets)
        loss.backward()
        optimizer.step()
        total += loss.item()
    if epoch % 50 == 49:
        print("epoch", epoch, f"{total:.5f}")

with torch.no_grad():
    inputs = prepare_sequence(training_data[0][0], word_to_ix).unsqueeze(0)
    tag_scores, _, _ = model(inputs)
    print("after", [[round(v, 4) for v in row] for row in tag_scores[0].tolist()])
    print("tags", tag_scores.argmax(-1).tolist())

# a padded batch of two sentences at once
batch = torch.stack([prepare_sequence(training_data[1][0], word_to_ix),
                     prepare_sequence(training_data[0][0][:4], word_to_ix)])
out, h, c = model(batch)
print("batch", list(out.shape), list(h.shape), f"{out.exp().sum(-1).mean().item():.5f}")
