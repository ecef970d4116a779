"""fit's callbacks (tinynn/callbacks.py) and how fit chooses its metrics (issue 11).

Expected values are worked out by hand from the sequences fed in, or measured independently
(a checkpoint reloaded into a fresh model and evaluated)."""
import numpy as np
import pytest

import tinynn as tn
from tinynn import nn, optim
from tinynn.callbacks import Callback, EarlyStopping, LambdaCallback, ModelCheckpoint, ReduceLROnPlateau
from tinynn.data import DataLoader, make_xor


def _feed(cb, values, key="val_loss", model=None, optimizer=None):
    """Drive a callback by hand with one logged value per epoch; the epochs it saw before stopping."""
    cb.set_context(model, optimizer)
    cb.on_train_begin({})
    seen = []
    for epoch, v in enumerate(values):
        cb.on_epoch_end(epoch, {key: v})
        seen.append(epoch)
        if cb.stop_training:
            break
    cb.on_train_end({})
    return seen


@pytest.mark.parametrize("patience, stops_at", [(0, 2), (1, 2), (2, 3), (3, 4), (5, None)])
def test_early_stopping_counts_epochs_without_improvement(patience, stops_at):
    # best 0.5 at epoch 1; epochs 2, 3, 4, 5 do not improve (0.5 - 0.0 is not < 0.5). Keras'
    # rule: stop once `patience` epochs in a row did not improve (patience 0 and 1 both stop
    # at the first epoch without improvement)
    values = [1.0, 0.5, 0.5, 0.6, 0.7, 0.9]
    stop = EarlyStopping(patience=patience)
    seen = _feed(stop, values)
    assert stop.best == 0.5 and stop.best_epoch == 1
    assert stop.stopped_epoch == stops_at
    assert seen[-1] == (stops_at if stops_at is not None else len(values) - 1)


def test_early_stopping_min_delta_and_max_mode():
    # improvements smaller than min_delta do not count: 1.0 -> 0.95 -> 0.91 are all within 0.1
    stop = EarlyStopping(min_delta=0.1, patience=1)
    _feed(stop, [1.0, 0.95, 0.91, 0.5])
    assert stop.best == 1.0 and stop.stopped_epoch == 1
    # accuracy is maximised under mode="auto"
    stop = EarlyStopping(monitor="val_accuracy", patience=1)
    _feed(stop, [0.5, 0.7, 0.6, 0.9], key="val_accuracy")
    assert stop.mode == "max" and stop.best == 0.7 and stop.stopped_epoch == 2
    stop = EarlyStopping(monitor="val_accuracy", patience=1, mode="min")
    _feed(stop, [0.5, 0.7], key="val_accuracy")
    assert stop.best == 0.5 and stop.stopped_epoch == 1


def _overfitting_setup(seed=0):
    tn.manual_seed(seed)
    x, y = make_xor(60, noise=0.45, seed=seed)
    xv, yv = make_xor(200, noise=0.45, seed=seed + 1)
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
    opt = optim.Adam(model.parameters(), lr=0.02)
    return model, opt, DataLoader((x, y), batch_size=20, shuffle=True), DataLoader((xv, yv), batch_size=100)


def test_early_stopping_in_fit_stops_and_restores_the_best_weights():
    model, opt, train, val = _overfitting_setup()
    stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    history = tn.fit(model, nn.CrossEntropyLoss(), opt, train, epochs=200, val_loader=val, callbacks=[stop],
                     progress=False)
    ran = len(history["loss"])
    assert stop.stopped_epoch == ran - 1 < 199, "a noisy, overparameterised XOR must stop early"
    assert ran - 1 - stop.best_epoch == 3  # exactly `patience` epochs after the best one
    best = min(history["val_loss"])
    assert history["val_loss"][stop.best_epoch] == best == stop.best
    # the model now holds the best epoch's weights: its val loss, measured again, is the best
    assert tn.evaluate(model, nn.CrossEntropyLoss(), val)["loss"] == pytest.approx(best, rel=1e-6)


def test_model_checkpoint_saves_the_best_epoch(tmp_path):
    model, opt, train, val = _overfitting_setup(seed=1)
    path = tmp_path / "sub" / "best.npz"
    ckpt = ModelCheckpoint(path, monitor="val_loss", extra={"classes": np.array([0, 1])})
    history = tn.fit(model, nn.CrossEntropyLoss(), opt, train, epochs=25, val_loader=val, callbacks=[ckpt],
                     progress=False)
    best_epoch = int(np.argmin(history["val_loss"]))
    assert ckpt.best_epoch == best_epoch and ckpt.last_saved == str(path)
    fresh, _, _, _ = _overfitting_setup(seed=2)
    state, extra = ModelCheckpoint.load(path, fresh)
    assert np.asarray(extra["classes"]).tolist() == [0, 1]
    assert sorted(state) == sorted(model.state_dict()), "the weights are kept apart from extra"
    reloaded = tn.evaluate(fresh, nn.CrossEntropyLoss(), val)["loss"]
    assert reloaded == pytest.approx(history["val_loss"][best_epoch], rel=1e-6)
    assert list(tmp_path.glob("sub/*")) == [path], "no temporary file is left behind"


def test_model_checkpoint_extra_round_trips_plain_data(tmp_path):
    """What an inference script needs (statistics, class names, nested settings) comes back
    equal, next to the weights of the saved epoch; the raw file is a tn.load-able dict."""
    mean = np.array([0.25, -1.5, 3.0], dtype=np.float32)
    extra = {"mean": mean, "std": [1.0, 2.0, 0.5], "classes": ["cat", "dog"], "version": 3,
             "input": {"shape": (3,), "dtype": "float32", "scale": 1 / 16}, "note": None, "flag": True}
    model = nn.Linear(3, 2)
    ckpt = ModelCheckpoint(tmp_path / "m.npz", extra=extra)
    _feed(ckpt, [0.7, 0.3, 0.5], model=model)  # saved at epoch 1 (0.3), not after epoch 2
    assert ckpt.best_epoch == 1
    fresh = nn.Linear(3, 2)
    state, got = ModelCheckpoint.load(tmp_path / "m.npz", fresh)
    np.testing.assert_array_equal(got["mean"], mean)
    assert got["mean"].dtype == np.float32
    assert {k: v for k, v in got.items() if k != "mean"} == {k: v for k, v in extra.items() if k != "mean"}
    np.testing.assert_array_equal(fresh.weight.data.numpy(), model.weight.data.numpy())
    raw = tn.load(tmp_path / "m.npz")
    assert raw["epoch"] == 1 and set(raw) == {"format", "state_dict", "extra", "epoch"}
    # without extra the file stays a bare state dict, and load returns {} for extra
    bare = ModelCheckpoint(tmp_path / "bare.npz")
    _feed(bare, [0.5], model=model)
    assert sorted(tn.load(tmp_path / "bare.npz")) == ["bias", "weight"]
    assert ModelCheckpoint.load(tmp_path / "bare.npz")[1] == {}


class _Scaler:
    mean_ = np.zeros(3)


@pytest.mark.parametrize("bad, where, hint", [
    ({"transform": lambda x: x}, r"extra\['transform'\] is a function", "rebuild it after loading"),
    ({"scaler": _Scaler()}, r"extra\['scaler'\] is a _Scaler", "scaler.mean_"),
    ({"classes": {"cat", "dog"}}, r"extra\['classes'\] is a set", "use a list"),
    ({"rows": [1, np.array([object()], dtype=object)]}, r"extra\['rows'\]\[1\] is an object array", "convert"),
    ({"raw": b"bytes"}, r"extra\['raw'\] is a bytes", "plain data"),
    ({(1, 2): 3}, r"has the key \(1, 2\)", "str or int"),
])
def test_model_checkpoint_refuses_extra_that_is_not_plain_data(tmp_path, bad, where, hint):
    with pytest.raises(TypeError, match=where) as info:
        ModelCheckpoint(tmp_path / "m.npz", extra=bad)
    assert hint in str(info.value)
    with pytest.raises(TypeError, match="must be a dict"):
        ModelCheckpoint(tmp_path / "m.npz", extra=[("classes", [0, 1])])
    cyclic = {"a": []}
    cyclic["a"].append(cyclic)
    with pytest.raises(ValueError, match="cycle"):
        ModelCheckpoint(tmp_path / "m.npz", extra=cyclic)
    assert not list(tmp_path.iterdir()), "nothing is written when extra is refused"


def test_model_checkpoint_load_refuses_a_file_that_is_not_a_state_dict(tmp_path):
    tn.save([1, 2, 3], tmp_path / "list.npz")
    with pytest.raises(ValueError, match="holds a list, not a state dict"):
        ModelCheckpoint.load(tmp_path / "list.npz")


def test_model_checkpoint_every_epoch_with_a_formatted_name(tmp_path):
    model, opt, train, val = _overfitting_setup()
    ckpt = ModelCheckpoint(str(tmp_path / "e{epoch:02d}.npz"), save_best_only=False)
    tn.fit(model, nn.CrossEntropyLoss(), opt, train, epochs=3, val_loader=val, callbacks=[ckpt], progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e01.npz", "e02.npz", "e03.npz"]


def test_reduce_lr_on_plateau_by_hand():
    opt = optim.SGD(nn.Linear(1, 1).parameters(), lr=1.0)
    opt.add_param_group({"params": [nn.Parameter(np.zeros(1, dtype="float32"))], "lr": 0.4})
    plateau = ReduceLROnPlateau(factor=0.5, patience=2, cooldown=2, min_lr=0.2, min_delta=0.0)
    plateau.set_context(None, opt)
    plateau.on_train_begin()
    lrs = []
    # Keras' rule. epoch 0 best; 1, 2 bad -> halve at 2, cooldown 2; 3 in cooldown (not counted);
    # 4 leaves cooldown and counts; 5 bad -> halve at 5 (group 1 stays at min_lr); 6 improves
    for epoch, v in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.1]):
        logs = {"val_loss": v}
        plateau.on_epoch_end(epoch, logs)
        lrs.append((logs["lr"], opt.param_groups[1]["lr"]))
    assert plateau.reductions == [2, 5]
    assert lrs == [(1.0, 0.4), (1.0, 0.4), (0.5, 0.2), (0.5, 0.2), (0.5, 0.2), (0.25, 0.2), (0.25, 0.2)]


def test_reduce_lr_on_plateau_in_fit_records_lr():
    model, opt, train, val = _overfitting_setup()
    plateau = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=10.0)  # never "improves"
    history = tn.fit(model, nn.CrossEntropyLoss(), opt, train, epochs=3, callbacks=[plateau], progress=False)
    assert history["lr"] == [0.02, 0.01, 0.005]


def test_hooks_are_called_in_keras_order_and_a_callback_can_stop():
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            calls.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(f"epoch_begin {epoch}")

        def on_batch_end(self, batch, logs=None):
            calls.append(f"batch {batch} n={logs['size']}")

        def on_epoch_end(self, epoch, logs=None):
            calls.append(f"epoch_end {epoch} {sorted(logs)}")
            if epoch == 1:
                self.stop_training = True

        def on_train_end(self, logs=None):
            calls.append("train_end")

    x, y = make_xor(30, seed=0)
    model = nn.Linear(2, 2)
    history = tn.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                     DataLoader((x, y), batch_size=20), epochs=10, callbacks=[Recorder()], progress=False)
    assert history.epochs == 2
    assert calls == ["train_begin",
                     "epoch_begin 0", "batch 0 n=20", "batch 1 n=10", "epoch_end 0 ['accuracy', 'loss']",
                     "epoch_begin 1", "batch 0 n=20", "batch 1 n=10", "epoch_end 1 ['accuracy', 'loss']",
                     "train_end"]


def test_lambda_callback_and_bad_arguments():
    x, y = make_xor(30, seed=0)
    model = nn.Linear(2, 2)
    args = (model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), DataLoader((x, y)))
    seen = []
    tn.fit(*args, epochs=2, progress=False, callbacks=[LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e))])
    assert seen == [0, 1]
    with pytest.raises(ValueError, match=r"monitor='val_loss'.*\['accuracy', 'loss'\].*val_loader"):
        tn.fit(*args, epochs=2, progress=False, callbacks=[EarlyStopping()])
    with pytest.raises(TypeError, match="Callback instances"):
        tn.fit(*args, progress=False, callbacks=[lambda: None])
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="lowest")
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(factor=2)
    with pytest.raises(TypeError, match="unknown hook"):
        LambdaCallback(on_epoch_finish=print)


# --------------------------------------------------------------------------- metrics: never by name (issue 11)
def test_metrics_come_from_the_loss_object_not_its_class_name():
    x, y = make_xor(40, seed=0)
    loader = DataLoader((x, y), batch_size=20)
    model = nn.Linear(2, 2)

    class MSELoss:  # a user's class that happens to share a tinynn name: not taken for a regression loss
        def __call__(self, out, target):
            return nn.CrossEntropyLoss()(out, target)

    assert set(tn.evaluate(model, MSELoss(), loader)) == {"loss", "accuracy"}  # integer targets: classes

    class Ranking:
        task = "regression"  # says so explicitly: no accuracy even with integer targets

        def __call__(self, out, target):
            return nn.CrossEntropyLoss()(out, target)

    assert set(tn.evaluate(model, Ranking(), loader)) == {"loss"}
    Ranking.task = "ranking"
    with pytest.raises(ValueError, match="task must be one of"):
        tn.evaluate(model, Ranking(), loader)

    class Subclass(nn.MSELoss):  # a subclass of tinynn's MSELoss is still a regression loss
        pass

    xr = x.astype("float32")
    reg = DataLoader((xr, xr[:, :1] * 0 + y.reshape(-1, 1).astype("float32")), batch_size=20)
    assert set(tn.evaluate(nn.Linear(2, 1), Subclass(), reg)) == {"loss"}
    assert set(tn.evaluate(nn.Linear(2, 1), nn.MSELoss(), reg, metrics=("accuracy",))) == {"loss", "accuracy"}
