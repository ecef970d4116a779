# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Document 004, section 5.2: a ConvNet, PyTorch style
#
# Source: `shared/seeds/004_73dbf4924aaa1c8b.txt`, section 5.2 ("源代码详细实现"). The
# document defines a `ConvNet` (two convolution + pooling stages, a hidden dense layer with
# dropout, two outputs), trains it with `CrossEntropyLoss` and Adam from a `DataLoader`, and
# measures the test accuracy. tinynn keeps PyTorch's names, so almost every line is the
# same; the differences:
#
# | the document (PyTorch) | tinynn |
# |---|---|
# | `import torch.nn as nn`, `import torch.optim as optim` (and `F.relu` without importing `F`: a bug in the document) | `from tinynn import nn, optim`, `import tinynn.functional as F` |
# | `datasets.ImageFolder('train', transform=transforms.ToTensor())` | generated images: `make_shapes(n, n_classes=2)` (circles vs squares, 3×32×32, NCHW like `ToTensor()`), wrapped in a `TensorDataset` |
# | `x.view(-1, 64 * 6 * 6)` | the same (`view` is `reshape`) |
# | `_, predicted = torch.max(outputs.data, 1)` | `predicted = outputs.argmax(dim=1)` |
# | `labels.size(0)` | `len(labels)` |
# | `with torch.no_grad():` | `with tn.no_grad():` |
#
# `64 * 6 * 6` fixes the input size: 32×32 → conv 3×3 → 30 → pool → 15 → conv → 13 →
# pool → 6. So the document's images are 3×32×32, and so are ours.

# %%
import os
import time

import tinynn as tn
import tinynn.functional as F
import tinynn.threads
from tinynn import nn, optim
from tinynn.data import DataLoader, TensorDataset
from tinynn.synthetic import make_shapes

tinynn.threads.small_model_threads()  # one BLAS thread: small products run faster, far faster on a busy machine

FAST = os.environ.get("TINYNN_FAST") == "1"  # the test suite sets this: less data, fewer epochs
tn.manual_seed(0)
started = time.perf_counter()


# %%
# 定义模型结构
class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, 1)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(64 * 6 * 6, 128)
        self.fc2 = nn.Linear(128, 2)
        self.dropout = nn.Dropout(0.5)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 64 * 6 * 6)
        x = self.dropout(F.relu(self.fc1(x)))
        x = self.fc2(x)  # logits: CrossEntropyLoss applies log-softmax itself
        return x


# 初始化模型、损失函数和优化器
model = ConvNet()
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=0.001)
print(model)

# %% [markdown]
# ## The data
#
# Instead of two image folders: circles (class 0) and squares (class 1) of equal area, at
# random positions and sizes, in random colours on random backgrounds, with pixel noise.
# Colour and the amount of ink say nothing; only the outline does. Each image is
# standardised (zero mean, unit variance: the job `transforms.Normalize` does in a torchvision
# pipeline), so the random colours do not swamp the outline.

# %%
# 加载训练数据和测试数据
def standardize(images):
    """Per image: subtract the mean and divide by the standard deviation over all pixels."""
    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    return (images - mean) / images.std(axis=(1, 2, 3), keepdims=True)


n_train, n_test = (800, 300) if FAST else (2000, 500)
x_train, y_train = make_shapes(n_train, n_classes=2, shuffle=True, seed=1)
x_test, y_test = make_shapes(n_test, n_classes=2, shuffle=True, seed=2)
x_train, x_test = standardize(x_train), standardize(x_test)
train_data, test_data = TensorDataset(x_train, y_train), TensorDataset(x_test, y_test)

train_loader = DataLoader(train_data, batch_size=64, shuffle=True)
test_loader = DataLoader(test_data, batch_size=64, shuffle=False)
print(f"{len(train_data)} training and {len(test_data)} test images of shape {x_train.shape[1:]}")

# %%
# 训练模型
num_epochs = 5 if FAST else 10
train_started = time.perf_counter()
for epoch in range(num_epochs):
    model.train()  # (the document never switches back after eval; we train again each epoch)
    running_loss = 0.0
    for i, (inputs, labels) in enumerate(train_loader):
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    print(f'Epoch {epoch+1}, Loss: {running_loss/len(train_loader)}')
train_seconds = time.perf_counter() - train_started

# %%
# 评估模型
model.eval()
with tn.no_grad():
    correct = 0
    total = 0
    for inputs, labels in test_loader:
        outputs = model(inputs)
        predicted = outputs.argmax(dim=1)
        total += len(labels)
        correct += (predicted == labels).sum().item()
accuracy = correct / total
print(f'Accuracy: {100 * correct / total}%')
assert accuracy > (0.8 if FAST else 0.9)  # chance is 50%

# %% [markdown]
# ## What we learned
# * A PyTorch program runs in tinynn with its imports changed: `nn.Conv2d(3, 32, 3, 1)`,
#   `nn.MaxPool2d(2, 2)`, `x.view(...)`, `CrossEntropyLoss` on logits, `zero_grad` /
#   `backward` / `step`, `no_grad` for evaluation.
# * tinynn's `Conv2d` has PyTorch's weight layout (out, in, kh, kw) and initialisation, so
#   its state dict loads into `torch.nn.Conv2d` unchanged.

# %%
print(f"RESULT doc004: test accuracy {accuracy:.3f} (chance 0.5); training {train_seconds:.1f} s, "
      f"total {time.perf_counter() - started:.1f} s")
