"""``python -m tinynn``: the demo (a stub until the training pieces land)."""
import tinynn as tn


def main(argv=None):
    tn.manual_seed(0)
    x = tn.randn(4, 3, requires_grad=True)
    loss = (x.tanh() ** 2).mean()
    loss.backward()
    print(f"tinynn {tn.__version__}: loss {loss.item():.4f}, grad norm {float((x.grad ** 2).sum()) ** 0.5:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
