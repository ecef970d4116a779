"""The device boilerplate, dtype conversions and the everyday tensor functions."""
import numpy as np
import torch

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
if torch.backends.mps.is_available():
    device = torch.device("mps")
print("device", device.type, str(device))
x = torch.arange(6).to(device)
print("to device", x.device.type, torch.cuda.device_count() >= 0)

# dtypes
f = x.float()
print("float", f.dtype == torch.float32, f.dtype == torch.float, f.is_floating_point(), x.is_floating_point())
print("long", f.long().dtype == torch.int64, f.int().dtype == torch.int32, f.double().dtype == torch.float64)
print("bool", (f > 2).dtype == torch.bool, (f > 2).long().sum().item(), f.to(torch.float64).dtype == torch.double)
print("type", x.to(torch.float16).dtype == torch.half, f.to(device, torch.float64).dtype == torch.float64)
print("default", torch.get_default_dtype() == torch.float32, torch.tensor(1.5).dtype == torch.float32,
      torch.tensor(3).dtype == torch.int64, torch.tensor(True).dtype == torch.bool)
print("is_tensor", torch.is_tensor(x), torch.is_tensor(np.zeros(2)))

# creation
print("arange", torch.arange(1, 10, 3).tolist(), torch.arange(0.0, 1.0, 0.25).tolist())
print("linspace", [round(v, 4) for v in torch.linspace(-1, 1, 5).tolist()])
print("eye", torch.eye(3)[1].tolist(), torch.eye(2, 3).tolist())
print("zeros_like", torch.zeros_like(f).tolist(), torch.ones_like(x).dtype == torch.int64, torch.full((2,), 7.0).tolist())
print("empty", list(torch.empty(2, 3).shape), list(torch.zeros(size=(1, 4)).shape))
a = np.arange(4.0)
t = torch.from_numpy(a)
t[0] = 10.0
print("from_numpy shares", a[0], t.dtype == torch.float64, torch.as_tensor(a).dtype == torch.float64)

# random: shapes, ranges and statistics (the streams differ between libraries)
torch.manual_seed(0)
n = torch.randn(200000)
print("randn", list(torch.randn(2, 3).shape), round(n.mean().item(), 1), round(n.std().item(), 1))
ri = torch.randint(0, 5, (1000,))
print("randint", ri.min().item(), ri.max().item(), ri.dtype == torch.int64, list(torch.randint(3, (2, 2)).shape))
perm = torch.randperm(10)
print("randperm", sorted(perm.tolist()) == list(range(10)), perm.dtype == torch.int64)
print("rand", 0 <= torch.rand(100).min().item(), torch.rand(100).max().item() < 1)

# shape and combining
m = torch.arange(12.0).view(3, 4)
print("cat", torch.cat([m, m], dim=0).shape[0], torch.cat((m, m), 1).shape[1], list(torch.stack([m, m], dim=1).shape))
print("split", [list(s.shape) for s in m.split(3, dim=1)], [list(s.shape) for s in torch.split(m, [1, 2], dim=0)])
print("chunk", [c.tolist() for c in torch.chunk(torch.arange(5), 2)])
print("gather", torch.gather(m, 1, torch.tensor([[0], [2], [3]])).tolist())
print("where", torch.where(m > 5, m, torch.zeros_like(m))[1].tolist(), torch.where(m > 9)[1].tolist())
print("clamp", m.clamp(2, 5)[0].tolist(), torch.clamp(m, min=10)[2].tolist(), m.clamp(max=1)[0].tolist())
print("argmax", m.argmax().item(), m.argmax(dim=1).tolist(), list(m.argmax(dim=0, keepdim=True).shape))
print("sum", m.sum().item(), m.sum(dim=1).tolist(), list(m.sum(1, keepdim=True).shape), m.sum((0, 1)).item())
print("mean", m.mean(0).tolist(), m.mean(dim=-1, keepdim=True).tolist())
print("std", [round(v, 4) for v in m.std(dim=1).tolist()], round(m.var().item(), 4), round(m.var(0, unbiased=False)[0].item(), 4))
print("cumsum", m.cumsum(dim=1)[1].tolist(), torch.cumsum(torch.arange(4), 0).tolist())
print("logsumexp", [round(v, 5) for v in torch.logsumexp(m, dim=1).tolist()], list(m.logsumexp(1, keepdim=True).shape))
print("max", m.max().item(), m.max(dim=0).values.tolist(), m.max(1)[1].tolist(), torch.max(m, 1, keepdim=True)[0].shape[1])
print("min", m.min(dim=1).indices.tolist(), torch.min(m).item(), torch.maximum(m, torch.full_like(m, 6.0))[0].tolist())
print("prod", torch.tensor([1.0, 2.0, 3.0, 4.0]).prod().item(), m.numel(), m.dim(), m.size(1), list(m.size()))
print("view", list(m.view(-1).shape), list(m.reshape(2, -1).shape), list(m.t().shape), list(m.T.shape), list(m.unsqueeze(0).shape))
print("permute", list(torch.zeros(2, 3, 4).permute(2, 0, 1).shape), list(m.transpose(0, 1).shape), list(m.flatten().shape))
print("squeeze", list(torch.zeros(1, 3, 1).squeeze().shape), list(torch.zeros(1, 3, 1).squeeze(0).shape), list(m[None].shape))
print("expand", list(torch.ones(3, 1).expand(3, 4).shape), list(torch.ones(2).repeat(3, 2).shape))
print("index", m[:, 1].tolist(), m[m > 8].tolist(), m[[0, 2]].shape[0], m[1, -1].item(), m[..., 0].tolist())
print("compare", (m == 3).sum().item(), m.eq(3).any().item(), m.ne(3).all().item(), (m >= 6).float().mean().item())
print("logical", torch.logical_and(m > 2, m < 6).sum().item(), ((m > 2) & (m < 6)).sum().item(), (~(m > 2)).sum().item())
print("math", [round(v, 4) for v in torch.exp(torch.tensor([0.0, 1.0])).tolist()], round(torch.log10(torch.tensor(1000.0)).item(), 4),
      round(m.sqrt()[1, 0].item(), 4), m.abs().neg()[0, 1].item(), m.pow(2)[0, 3].item(), m.square()[0, 2].item())
print("item", torch.tensor([[2.5]]).item(), type(torch.tensor(3).item()).__name__, type(torch.tensor(3.0).item()).__name__)
print("numpy", type(m.numpy()).__name__, m.numpy().dtype, m.detach().clone().requires_grad)

# writing in place
z = torch.zeros(3, 4)
z[0] = 1.0
z[:, 1] += 2.0
z[z > 2] = 5.0
z.add_(1).mul_(2)
z.fill_diagonal_(0)
print("in place", z.tolist())
z.zero_()
z.copy_(torch.arange(4.0))
print("copy_", z[2].tolist(), z.clamp_(1, 2)[0].tolist())
print("sum of squares", sum(v ** 2 for v in torch.arange(4.0)).item())
