"""Small real models in each framework, trained through rung's callbacks (module-level, so
worker processes can import them too)."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # Keras 3 without TensorFlow

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split

ROUNDS = 9


def cancer():
    x, y = load_breast_cancer(return_X_y=True)
    return train_test_split(x, y, test_size=0.3, random_state=0)


def digits():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return train_test_split(x, y, test_size=0.3, random_state=0)


def xgboost_trainable(config):
    import xgboost as xgb

    from rung.integrations.xgboost import RungCallback, checkpoint_path

    x_train, x_valid, y_train, y_valid = cancer()
    params = {"objective": "binary:logistic", "eval_metric": "logloss", "nthread": 1}
    params |= {"eta": config["eta"], "max_depth": config["depth"]}
    model = checkpoint_path()
    done = 0 if model is None else xgb.Booster(model_file=model).num_boosted_rounds()
    xgb.train(
        params,
        xgb.DMatrix(x_train, y_train),
        num_boost_round=ROUNDS - done,
        evals=[(xgb.DMatrix(x_valid, y_valid), "valid")],
        xgb_model=model,
        verbose_eval=False,
        callbacks=[RungCallback(metrics="valid-logloss")],
    )


def lightgbm_trainable(config):
    import lightgbm as lgb

    from rung.integrations.lightgbm import RungCallback, checkpoint_path

    x_train, x_valid, y_train, y_valid = cancer()
    params = {"objective": "binary", "learning_rate": config["eta"], "verbose": -1}
    params |= {"num_leaves": 2 ** config["depth"], "num_threads": 1}
    model = checkpoint_path()
    done = 0 if model is None else lgb.Booster(model_file=model).current_iteration()
    train = lgb.Dataset(x_train, y_train)
    lgb.train(
        params,
        train,
        num_boost_round=ROUNDS - done,
        valid_sets=[lgb.Dataset(x_valid, y_valid, reference=train)],
        valid_names=["valid"],
        init_model=model,
        callbacks=[RungCallback(metrics={"logloss": "valid-binary_logloss"})],
    )


def keras_trainable(config):
    import keras

    from rung.integrations.keras import RungCallback, checkpoint_path, initial_epoch

    keras.utils.set_random_seed(0)
    x_train, x_valid, y_train, y_valid = digits()
    path = checkpoint_path()
    if path:
        model = keras.models.load_model(path)
    else:
        model = keras.Sequential(
            [
                keras.Input((64,)),
                keras.layers.Dense(config["width"], activation="relu"),
                keras.layers.Dense(10),
            ]
        )
        model.compile(
            keras.optimizers.SGD(config["eta"]),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
    model.fit(
        x_train,
        y_train,
        validation_data=(x_valid, y_valid),
        epochs=ROUNDS,
        initial_epoch=initial_epoch(),
        batch_size=64,
        verbose=0,
        callbacks=[RungCallback(metrics=["val_loss", "val_accuracy"])],
    )


def lightning_trainable(config):
    import lightning
    import torch

    from rung.integrations.lightning import RungCallback, checkpoint_path

    lightning.seed_everything(0, verbose=False)
    x_train, x_valid, y_train, y_valid = digits()

    def loader(x, y, shuffle):
        data = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
        return torch.utils.data.DataLoader(data, batch_size=64, shuffle=shuffle)

    class Model(lightning.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Sequential(
                torch.nn.Linear(64, config["width"]),
                torch.nn.ReLU(),
                torch.nn.Linear(config["width"], 10),
            )

        def training_step(self, batch, _):
            x, y = batch
            return torch.nn.functional.cross_entropy(self.net(x), y)

        def validation_step(self, batch, _):
            x, y = batch
            self.log("val_loss", torch.nn.functional.cross_entropy(self.net(x), y))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=config["eta"])

    trainer = lightning.Trainer(
        max_epochs=ROUNDS,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        callbacks=[RungCallback(metrics="val_loss")],
    )
    trainer.fit(
        Model(),
        loader(x_train, y_train, True),
        loader(x_valid, y_valid, False),
        ckpt_path=checkpoint_path(),
    )
