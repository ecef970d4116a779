"""Functions that show up in course code beyond the basics: sorting, top-k, einsum, norms,
scatter/index writes, padding, new_* constructors, grad-mode decorators."""
import numpy as np
import torch
import torch.nn.functional as F

r = np.random.default_rng(0)
x = torch.tensor(r.standard_normal((3, 5)).round(3), dtype=torch.float32)

vals, idx = torch.topk(x, 2, dim=1)
print("topk", [[round(v, 3) for v in row] for row in vals.tolist()], idx.tolist())
s, order = torch.sort(x[0], descending=True)
print("sort", [round(v, 3) for v in s.tolist()], order.tolist(), x[0].argsort().tolist())
print("flip", [round(v, 3) for v in torch.flip(x, dims=[1])[0].tolist()], [round(v, 3) for v in x.roll(1, dims=1)[0].tolist()])
print("diag", torch.diag(torch.tensor([1.0, 2.0])).tolist(), [round(v, 3) for v in torch.diag(x[:, :3]).tolist()])
print("outer", torch.outer(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])).tolist())
print("einsum", [round(v, 3) for v in torch.einsum("ij,kj->ik", x, x)[0].tolist()])
print("norm", round(x.norm().item(), 4), [round(v, 4) for v in x.norm(dim=1).tolist()], round(torch.linalg.norm(x).item(), 4))
print("round", torch.floor(torch.tensor([1.5, -1.5])).tolist(), torch.ceil(torch.tensor([1.2])).tolist(),
      torch.round(torch.tensor([0.5, 1.5, 2.4])).tolist(), torch.tensor([1.7]).trunc().tolist())
print("unique", torch.unique(torch.tensor([3, 1, 3, 2, 1])).tolist(), torch.bincount(torch.tensor([0, 2, 2, 3])).tolist())
z = torch.zeros(3, 4)
z.scatter_(1, torch.tensor([[0], [2], [3]]), 1.0)
print("scatter_", z.tolist())
acc = torch.zeros(4).scatter_add_(0, torch.tensor([0, 1, 1, 3]), torch.tensor([1.0, 2.0, 3.0, 4.0]))
print("scatter_add_", acc.tolist(), torch.zeros(3).index_add_(0, torch.tensor([0, 0, 2]), torch.tensor([1.0, 2.0, 3.0])).tolist())
m = x.clone()
m.masked_fill_(m < 0, 0.0)
print("masked_fill_", (m >= 0).all().item(), m.new_zeros(2, 2).tolist(), m.new_ones(1).dtype == m.dtype,
      m.new_tensor([1, 2]).tolist(), torch.tensor([1, 2]).type_as(m).dtype == torch.float32)
print("pad", list(F.pad(x, (1, 2)).shape), F.pad(torch.ones(1, 2), (1, 1), value=0.5).tolist())
print("normalize", [round(v, 4) for v in F.normalize(x, dim=1).norm(dim=1).tolist()])
print("cumprod", torch.cumprod(torch.tensor([1.0, 2.0, 3.0]), dim=0).tolist(), torch.tensor([[1, 2], [3, 4]]).flatten().tolist())
print("max of two", torch.max(torch.tensor([1.0, 5.0]), torch.tensor([3.0, 2.0])).tolist(), torch.min(x, dim=1).values.shape[0])
print("numel", torch.numel(x), x.nelement(), x.element_size(), x.size(dim=0))
print("isin", torch.isclose(x, x + 1e-9).all().item(), torch.isnan(torch.tensor([float("nan"), 1.0])).tolist(),
      torch.isinf(torch.tensor([float("inf")])).tolist(), torch.isfinite(torch.tensor([1.0])).tolist())
print("sign", torch.sign(torch.tensor([-2.0, 0.0, 3.0])).tolist(), torch.sigmoid(torch.tensor([0.0])).item(), F.sigmoid(torch.tensor([0.0])).item())
print("clone grad", torch.ones(2, requires_grad=True).clone().requires_grad, torch.ones(2).requires_grad_().requires_grad)


@torch.no_grad()
def evaluate(t):
    return (t * 2).requires_grad


w = torch.ones(2, requires_grad=True)
print("decorator", evaluate(w), torch.is_grad_enabled())
with torch.set_grad_enabled(False):
    print("set_grad_enabled", (w * 2).requires_grad)
with torch.inference_mode():
    print("inference_mode", (w * 2).requires_grad)
with torch.enable_grad():
    print("enable_grad", (w * 2).requires_grad)
y = (w ** 2).sum()
y.backward(retain_graph=True)
y.backward()
print("retain_graph", w.grad.tolist())
h = w * 3
h.retain_grad()
h.register_hook(lambda g: g * 10)
(h.sum()).backward()
print("hook and retain", w.grad.tolist(), h.grad.tolist())
v = torch.tensor([1.0, 2.0], requires_grad=True)
out = v * 2
out.backward(gradient=torch.tensor([1.0, 0.5]))
print("backward(gradient)", v.grad.tolist())
print("Size", x.size() == torch.Size([3, 5]), x.shape[-1], tuple(x.shape), x.size()[0])
